/**
 * OwnerReferencesPermissionEnforcement (plugin/pkg/admission/gc): changing an object's
 * ownerReferences requires `delete` on the object (an owner reference can get it garbage
 * collected), and newly setting blockOwnerDeletion requires `update` on the owner's finalizers
 * subresource (it can hold up the owner's deletion).
 */
import { builtinResources } from '../../api/registry/builtin.ts';
import { ResourceRegistry } from '../../api/registry/registry.ts';
import type { Authorizer, AuthzAttributes } from '../../authz/types.ts';
import type { UserInfo } from '../../authn/types.ts';
import type { PluginDeps } from '../plugin-deps.ts';
import type { AdmissionAttributes, ValidatingPlugin, Verdict } from '../types.ts';

interface OwnerRef {
  apiVersion?: string;
  kind?: string;
  name?: string;
  uid?: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface OwnerReferencesOptions {
  /** Maps an owner's kind to its resource; pass the server's live registry so CRD owners resolve. */
  registry?: Pick<ResourceRegistry, 'byKind'>;
}

const refsOf = (o: Record<string, any> | undefined): OwnerRef[] => (Array.isArray(o?.metadata?.ownerReferences) ? o.metadata.ownerReferences : []);

function sameRef(a: OwnerRef, b: OwnerRef): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof OwnerRef>;
  return [...keys].every((k) => a[k] === b[k]);
}

function isChangingOwnerReference(obj: Record<string, any> | undefined, old: Record<string, any> | undefined): boolean {
  const now = refsOf(obj);
  if (!old) return now.length > 0;
  const before = refsOf(old);
  return now.length !== before.length || now.some((r, i) => !sameRef(r, before[i]!));
}

function newBlockingRefs(obj: Record<string, any> | undefined, old: Record<string, any> | undefined): OwnerRef[] {
  const blocking = refsOf(obj).filter((r) => r.blockOwnerDeletion === true);
  if (!old) return blocking;
  const byUid = new Map(refsOf(old).map((r) => [r.uid, r]));
  return blocking.filter((r) => byUid.get(r.uid)?.blockOwnerDeletion !== true);
}

function parseGroupVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

function record(user: UserInfo, p: Partial<AuthzAttributes>): AuthzAttributes {
  return { user, verb: '', isResourceRequest: true, path: '', apiGroup: '', apiVersion: '', namespace: '', resource: '', subresource: '', name: '', ...p };
}

export class OwnerReferencesPermissionEnforcement implements ValidatingPlugin {
  readonly name = 'OwnerReferencesPermissionEnforcement';
  readonly #authz: Authorizer;
  readonly #registry: Pick<ResourceRegistry, 'byKind'>;

  constructor(deps: PluginDeps, opts: OwnerReferencesOptions = {}) {
    this.#authz = deps.authorizer;
    this.#registry = opts.registry ?? new ResourceRegistry(builtinResources());
  }

  handles(a: AdmissionAttributes): boolean {
    if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return false;
    // Pod status writes (by kubelets) are exempt, as upstream's whitelist.
    if (a.resource.group === '' && a.resource.resource === 'pods' && a.subresource === 'status') return false;
    return isChangingOwnerReference(a.object, a.oldObject);
  }

  async validate(a: AdmissionAttributes): Promise<Verdict> {
    const del = await this.#check(record(a.user, {
      verb: 'delete', namespace: a.namespace, apiGroup: a.resource.group, apiVersion: a.resource.version,
      resource: a.resource.resource, subresource: a.subresource, name: a.name,
    }));
    if (del.decision !== 'allow') return { allowed: false, reason: `cannot set an ownerRef on a resource you can't delete: ${del.reason}, ${del.err}` };

    const refs = newBlockingRefs(a.object, a.oldObject);
    if (refs.length === 0) return { allowed: true };
    // One check first: whoever may finalize anything needs no per-owner lookups.
    const any = await this.#check(record(a.user, { verb: 'update', apiGroup: '*', apiVersion: '*', resource: '*', subresource: 'finalizers', name: '*', namespace: '*' }));
    if (any.decision === 'allow') return { allowed: true };

    for (const ref of refs) {
      const gv = parseGroupVersion(ref.apiVersion ?? '');
      const def = this.#registry.byKind(gv.group, gv.version, ref.kind ?? '');
      if (!def) {
        return {
          allowed: false,
          reason: `cannot set blockOwnerDeletion in this case because cannot find RESTMapping for APIVersion ${ref.apiVersion ?? ''} Kind ${ref.kind ?? ''}: no matches for kind "${ref.kind ?? ''}" in version "${ref.apiVersion ?? ''}"`,
        };
      }
      const fin = await this.#check(record(a.user, {
        verb: 'update', apiGroup: def.group, apiVersion: def.version, resource: def.resource, subresource: 'finalizers',
        name: ref.name ?? '', namespace: def.namespaced ? a.namespace : '',
      }));
      if (fin.decision !== 'allow') {
        return { allowed: false, reason: `cannot set blockOwnerDeletion if an ownerReference refers to a resource you can't set finalizers on: ${fin.reason}, ${fin.err}` };
      }
    }
    return { allowed: true };
  }

  /** An authorizer error is a denial, worded as Go prints a nil or non-nil error. */
  async #check(attrs: AuthzAttributes): Promise<{ decision: string; reason: string; err: string }> {
    try {
      const r = await this.#authz.authorize(attrs);
      return { decision: r.decision, reason: r.reason, err: '<nil>' };
    } catch (e) {
      return { decision: 'no-opinion', reason: '', err: (e as Error).message };
    }
  }
}
