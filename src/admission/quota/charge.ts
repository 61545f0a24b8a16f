/**
 * Charging quota inside admission, before the object is stored, as upstream's quota evaluator:
 * requests of one namespace are checked one at a time in this process, and each charge is written
 * to the quota's status.used with optimistic concurrency, so concurrent API servers (or the
 * controller) cannot both spend the same room. A charge whose object then fails to be stored
 * stays counted until the quota controller recalculates, as upstream accepts.
 */
import { OPTIMISTIC_LOCK_MESSAGE, conflict } from '../../api/errors.ts';
import { StorageError, type Store } from '../../storage/types.ts';
import type { AdmissionAttributes, Verdict } from '../types.ts';
import { checkRequest, usedOf, type QuotaState } from './check-request.ts';
import type { Evaluator } from './evaluators.ts';
import type { LimitedResource } from './limited-resources.ts';
import { listsEqual, resourceListJSON } from './resource-list.ts';
import { builtinKey } from '../../api/registry/resource-def.ts';

/** Retries after a conflicting status write, as upstream. */
const CONFLICT_RETRIES = 3;

export function quotaPrefix(namespace: string): string {
  return builtinKey('', 'resourcequotas', namespace, '');
}

export class QuotaCharger {
  readonly #store: Store;
  readonly #now: () => Date;
  readonly #limited: LimitedResource[];
  /** Tail of the queue of requests per namespace. */
  readonly #queues = new Map<string, Promise<void>>();

  constructor(store: Store, now: () => Date, limited: LimitedResource[] = []) {
    this.#store = store;
    this.#now = now;
    this.#limited = limited;
  }

  /** Checks the request against the namespace's quotas and, unless dry-run, charges them. */
  async charge(a: AdmissionAttributes, ev: Evaluator): Promise<Verdict> {
    // Most namespaces have no quota: nothing to charge, so no need to queue behind the
    // namespace's other writes (the locked path would read the same empty list and allow).
    // Limited resources need a covering quota, so they are checked without one too (upstream).
    if (this.#limited.length === 0 && !this.#queues.has(a.namespace) && (await this.#store.list(quotaPrefix(a.namespace), { limit: 1 })).items.length === 0) return { allowed: true };
    const release = await this.#enter(a.namespace);
    try {
      return await this.#chargeLocked(a, ev);
    } finally {
      release();
    }
  }

  async #enter(ns: string): Promise<() => void> {
    const prev = this.#queues.get(ns) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = prev.then(() => mine);
    this.#queues.set(ns, tail);
    await prev;
    return () => {
      release();
      if (this.#queues.get(ns) === tail) this.#queues.delete(ns);
    };
  }

  async #chargeLocked(a: AdmissionAttributes, ev: Evaluator): Promise<Verdict> {
    let only: Set<string> | undefined;
    let lastConflict = '';
    for (let attempt = 0; attempt <= CONFLICT_RETRIES; attempt++) {
      // After a conflict another writer (maybe another API server) got in: read what etcd has.
      const listed = await this.#store.list<Record<string, any>>(quotaPrefix(a.namespace), { consistent: attempt > 0 });
      // After a conflict only the quotas whose write failed are checked again; the others hold the charge.
      const quotas: QuotaState[] = listed.items
        .filter((s) => !only || only.has(s.key))
        .map((s) => ({ key: s.key, modRevision: s.modRevision, value: s.value }));
      // Coverage of limited resources is judged once, against all of the namespace's quotas.
      const limited = only ? [] : this.#limited;
      if (quotas.length === 0 && limited.length === 0) return { allowed: true };
      const result = checkRequest(quotas, a, ev, this.#now(), limited);
      if (!result.allowed) return { allowed: false, code: result.code ?? 403, reason: result.reason };
      if (a.dryRun) return { allowed: true };
      const failed = new Set<string>();
      for (let i = 0; i < quotas.length; i++) {
        const used = result.used[i];
        const q = quotas[i]!;
        if (!used || listsEqual(used, usedOf(q))) continue;
        const next = { ...q.value, status: { ...(q.value.status ?? {}), used: resourceListJSON(used) } };
        try {
          await this.#store.update(q.key, next, q.modRevision);
        } catch (err) {
          if (!(err instanceof StorageError) || (err.code !== 'Conflict' && err.code !== 'NotFound')) throw err;
          failed.add(q.key);
          lastConflict = String(q.value.metadata?.name ?? '');
        }
      }
      if (failed.size === 0) return { allowed: true };
      only = failed;
    }
    throw conflict({ group: '', resource: 'resourcequotas' }, lastConflict, OPTIMISTIC_LOCK_MESSAGE);
  }
}
