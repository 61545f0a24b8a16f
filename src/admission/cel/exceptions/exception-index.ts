/**
 * The PolicyExceptions of the cluster, kept current by a store watch (as the plugin follows its
 * policies), answering two questions for the ValidatingAdmissionPolicy plugin: which active
 * exceptions lift a policy's denial of a request, and whether a write of an exception comes from
 * someone it exempts (refused: those it exempts cannot create, change or delete it).
 */
import type { Logger } from 'pino';
import { ApiError } from '../../../api/errors.ts';
import { customResourcePrefix } from '../../../api/registry/resource-def.ts';
import type { Store } from '../../../storage/types.ts';
import type { AdmissionAttributes } from '../../types.ts';
import { WatchedObjects } from '../../watched-objects.ts';
import { EXCEPTION_GROUP, EXCEPTION_RESOURCE, exceptionCovers, exemptsUser, isActive, type PolicyException } from './policy-exception.ts';

export class PolicyExceptionIndex {
  readonly #objects: WatchedObjects<PolicyException>;
  readonly #now: () => Date;
  #byPolicy: Map<string, PolicyException[]> | undefined;
  #version = -1;

  constructor(store: Store, log: Logger, now: () => Date) {
    this.#objects = new WatchedObjects(store, customResourcePrefix(EXCEPTION_GROUP, EXCEPTION_RESOURCE), log);
    this.#now = now;
  }

  ready(): Promise<void> {
    return this.#objects.ready();
  }

  get loaded(): boolean {
    return this.#objects.loaded;
  }

  /** The active exceptions covering this request to `policy`, in name order. */
  exempting(policy: string, a: AdmissionAttributes): PolicyException[] {
    const list = this.#index().get(policy);
    if (!list) return [];
    const now = this.#now();
    return list.filter((e) => isActive(e, now) && exceptionCovers(e, a));
  }

  #index(): Map<string, PolicyException[]> {
    if (this.#byPolicy && this.#version === this.#objects.version) return this.#byPolicy;
    const m = new Map<string, PolicyException[]>();
    for (const e of this.#objects.values()) {
      const p = e.spec?.policyName;
      if (!p) continue;
      const list = m.get(p) ?? [];
      list.push(e);
      m.set(p, list);
    }
    for (const list of m.values()) list.sort((x, y) => ((x.metadata?.name ?? '') < (y.metadata?.name ?? '') ? -1 : 1));
    this.#byPolicy = m;
    this.#version = this.#objects.version;
    return m;
  }

  close(): void {
    this.#objects.close();
  }
}

export function isExceptionWrite(a: AdmissionAttributes): boolean {
  return a.resource.group === EXCEPTION_GROUP && a.resource.resource === EXCEPTION_RESOURCE && a.subresource === '' && a.operation !== 'CONNECT';
}

/**
 * The refusal of a create, update or delete of a PolicyException by a user it exempts, before or
 * after the write (so nobody widens an exception to cover themselves, nor edits one that covers
 * them). Expired exceptions count too: renewing one is a change.
 */
export function governanceError(a: AdmissionAttributes): ApiError | undefined {
  if (!isExceptionWrite(a)) return undefined;
  for (const o of [a.object, a.oldObject]) {
    if (!o || !exemptsUser(o as PolicyException, a.user)) continue;
    const name = a.name || String(o.metadata?.name ?? '');
    const verb = a.operation === 'CREATE' ? 'create' : a.operation === 'DELETE' ? 'delete' : 'change';
    const message = `${EXCEPTION_RESOURCE}.${EXCEPTION_GROUP} "${name}" is forbidden: PolicyException '${name}' exempts user "${a.user.username}", who therefore may not ${verb} it`;
    return new ApiError(403, 'Forbidden', message, { name, group: EXCEPTION_GROUP, kind: EXCEPTION_RESOURCE });
  }
  return undefined;
}
