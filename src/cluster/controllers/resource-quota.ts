import { calculateUsage } from '../../admission/quota/calculate-usage.ts';
import { evaluatorFor } from '../../admission/quota/evaluators.ts';
import { listsEqual, mask, resourceListFrom, resourceListJSON } from '../../admission/quota/resource-list.ts';
import { StorageError, type Store, type Watcher } from '../../storage/types.ts';
import type { Obj } from './store-ops.ts';
import { parseObjectKey } from '../../api/registry/resource-def.ts';
import { createKeyQueue, type KeyQueueOptions } from './key-queue.ts';

const QUOTAS = '/registry/core/resourcequotas/';
/** kube-controller-manager's default --resource-quota-sync-period. */
const DEFAULT_RESYNC_MS = 5 * 60_000;
const RETRY_MS = 500;

export interface ResourceQuotaControllerDeps {
  store: Store;
  now: () => Date;
  log: { error(obj: unknown, msg?: string): void };
}

export interface ResourceQuotaControllerOptions {
  /** Full recount of every quota this often (ms). */
  resyncMs?: number;
  /** Backoff of a namespace whose recount failed. */
  retry?: KeyQueueOptions;
}

/** Whether status lags spec: hard differs, or some hard resource has no usage yet. */
function needsSync(q: Obj): boolean {
  const hard = resourceListFrom(q.spec?.hard);
  if (!q.status?.hard || !q.status?.used) return true;
  if (!listsEqual(hard, resourceListFrom(q.status.hard))) return true;
  const used = resourceListFrom(q.status.used);
  return Object.keys(hard).some((k) => !(k in used));
}

/**
 * The resource quota controller: keeps each quota's status.hard equal to spec.hard and recounts
 * status.used from storage when a quota is new or changed, when a counted object is deleted or
 * releases what it held (a pod finishing, a service changing type...), and on a periodic resync.
 * It does not recount on creates: admission charged those already, and a recount while another
 * create is between its charge and its write would briefly undercount.
 */
export function startResourceQuotaController(deps: ResourceQuotaControllerDeps, opts: ResourceQuotaControllerOptions = {}): () => void {
  const quotasByNs = new Map<string, Set<string>>();
  let stopped = false;
  let watcher: Watcher | undefined;

  // Each namespace is a key: a recount that throws is logged and retried with backoff; a write
  // that conflicted is simply looked at again.
  const queue = createKeyQueue('resource quota controller', async (ns) => ((await syncNamespace(ns)) ? undefined : 'requeue'), deps.log, opts.retry);
  const enqueue = (ns: string) => queue.add(ns);

  /** Recounts every quota of the namespace; false when a write conflicted and must be retried. */
  const syncNamespace = async (ns: string): Promise<boolean> => {
    const list = await deps.store.list<Obj>(`${QUOTAS}${ns}/`);
    let ok = true;
    for (const item of list.items) {
      const q = item.value;
      const hard = resourceListFrom(q.spec?.hard);
      const observed = await calculateUsage(deps.store, q, deps.now());
      // Usage of resources no evaluator tracks is kept as last observed.
      const used = { ...mask(resourceListFrom(q.status?.used), Object.keys(hard)), ...observed };
      const dirty = needsSync(q) || !listsEqual(used, resourceListFrom(q.status?.used));
      if (!dirty) continue;
      const next = { ...q, status: { hard: resourceListJSON(hard), used: resourceListJSON(used) } };
      try {
        await deps.store.update(item.key, next, item.modRevision);
      } catch (err) {
        if (err instanceof StorageError && err.code === 'NotFound') continue;
        if (err instanceof StorageError && err.code === 'Conflict') ok = false;
        else throw err;
      }
    }
    return ok;
  };

  const trackQuota = (key: string, q: Obj | undefined, deleted: boolean) => {
    const [ns, name] = key.slice(QUOTAS.length).split('/');
    if (!ns || !name) return;
    let set = quotasByNs.get(ns);
    if (deleted) {
      set?.delete(name);
      if (set?.size === 0) quotasByNs.delete(ns);
      return;
    }
    if (!set) quotasByNs.set(ns, (set = new Set()));
    set.add(name);
    if (q && needsSync(q)) enqueue(ns);
  };

  /** Whether a change to a counted object can have lowered what it is charged. */
  const releases = (group: string, resource: string, prev: Obj | undefined, next: Obj | undefined): boolean => {
    const ev = evaluatorFor(group, resource);
    if (!ev || !prev || !next) return false;
    const now = deps.now();
    return !listsEqual(ev.usage(prev, now), ev.usage(next, now));
  };

  const onEvent = (type: string, key: string, value: Obj | undefined, prev: Obj | undefined) => {
    if (key.startsWith(QUOTAS)) return trackQuota(key, value, type === 'DELETED');
    // Built-in and custom resources keep their objects in different layouts: one parser knows both.
    const k = parseObjectKey(key);
    if (!k || !k.namespace || !quotasByNs.has(k.namespace)) return;
    if (type === 'DELETED' || (type === 'MODIFIED' && releases(k.group, k.resource, prev, value))) enqueue(k.namespace);
  };

  const resync = setInterval(() => {
    for (const ns of quotasByNs.keys()) enqueue(ns);
  }, opts.resyncMs ?? DEFAULT_RESYNC_MS);
  resync.unref?.();

  const start = async () => {
    const list = await deps.store.list<Obj>(QUOTAS);
    if (stopped) return;
    quotasByNs.clear();
    for (const i of list.items) {
      trackQuota(i.key, i.value, false);
      // A (re)start may have missed deletes: recount everything once.
      enqueue(i.key.slice(QUOTAS.length).split('/')[0]!);
    }
    watcher = deps.store.watch<Obj>('/registry/', list.revision, {
      onEvent: (e) => {
        try {
          onEvent(e.type, e.key, e.value, e.prevValue);
        } catch (err) {
          // An object that cannot be evaluated (not an object, bad fields) costs its own event only.
          deps.log.error({ err, key: e.key }, 'resource quota controller: cannot process an event; ignoring it');
        }
      },
      onError: (err) => {
        deps.log.error({ err }, 'resource quota controller watch failed; relisting');
        setTimeout(() => void start().catch(startFailed), RETRY_MS);
      },
    });
  };
  const startFailed = (err: unknown) => deps.log.error({ err }, 'resource quota controller failed to start');
  void start().catch(startFailed);

  return () => {
    stopped = true;
    watcher?.close();
    clearInterval(resync);
    queue.stop();
  };
}
