/**
 * The params a binding's paramRef selects, as upstream's generic.CollectParams: one nil param
 * when the policy has no paramKind or the binding no paramRef; the object by name, or every
 * object matching the selector (in the request's namespace or paramRef.namespace for a
 * namespaced kind); none found is a configuration error under parameterNotFoundAction Deny.
 * Params of any served resource, custom ones included, are read from the store by the
 * resource's own key layout.
 */
import type { ParamRef } from 'kubernetes-types/admissionregistration/v1.js';
import { listPrefix, objectKey, type ResourceDef } from '../../api/registry/resource-def.ts';
import { selectorFromMetav1 } from '../../api/selectors/label-selector.ts';
import type { Store } from '../../storage/types.ts';

/** The list of params, or the configuration error (upstream's message) that stands instead. */
export type ParamsResult = { ok: true; params: (Record<string, unknown> | null)[] } | { ok: false; error: string };

/** Upstream's rendering of a GroupVersionKind: "apps/v1, Kind=Deployment" (core: "/v1, Kind=ConfigMap"). */
export function gvkString(apiVersion: string, kind: string): string {
  return `${apiVersion.includes('/') ? apiVersion : `/${apiVersion}`}, Kind=${kind}`;
}

/** Upstream hands params to CEL with their TypeMeta filled in. */
function withTypeMeta(o: Record<string, unknown>, def: ResourceDef): Record<string, unknown> {
  const apiVersion = def.group ? `${def.group}/${def.version}` : def.version;
  return { ...o, apiVersion: o.apiVersion ?? apiVersion, kind: o.kind ?? def.kind };
}

export async function collectParams(store: Store, def: ResourceDef | undefined, ref: ParamRef | undefined, requestNamespace: string): Promise<ParamsResult> {
  if (!def || !ref) return { ok: true, params: [null] };
  let ns = '';
  if (def.namespaced) {
    ns = ref.namespace || requestNamespace;
    if (!ns) return { ok: false, error: 'cannot use namespaced paramRef in policy binding that matches cluster-scoped resources' };
  } else if (ref.namespace) {
    return { ok: false, error: 'paramRef.namespace must not be provided for a cluster-scoped `paramKind`' };
  }
  let params: Record<string, unknown>[];
  if (ref.name) {
    if (ref.selector) return { ok: false, error: 'paramRef.name and paramRef.selector are mutually exclusive' };
    const got = await store.get<Record<string, unknown>>(objectKey(def, ns, ref.name));
    params = got ? [got.value] : [];
  } else if (ref.selector) {
    let selector;
    try {
      selector = selectorFromMetav1(ref.selector);
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
    const list = await store.list<Record<string, any>>(listPrefix(def, ns));
    params = list.items.map((i) => i.value).filter((o) => selector.matches(o.metadata?.labels));
  } else {
    return { ok: false, error: 'one of name or selector must be provided' };
  }
  if (params.length === 0 && ref.parameterNotFoundAction === 'Deny') return { ok: false, error: 'no params found for policy binding with `Deny` parameterNotFoundAction' };
  return { ok: true, params: params.map((p) => withTypeMeta(p, def)) };
}
