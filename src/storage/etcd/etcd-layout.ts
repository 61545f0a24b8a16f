/**
 * Where kube-apiserver keeps each resource in etcd, and the mapping between that layout and
 * Portcullis' store keys (which name the group: `/registry/<group|core>/<resource>/...`, custom
 * resources under `/registry/_customresources/<group>/<resource>/...`, resource-def.ts).
 *
 * Upstream (pkg/kubeapiserver/default_storage_factory_builder.go, storage_factory.go
 * ResourcePrefix): a built-in resource lives under `<etcd-prefix>/<resource>/[<namespace>/]<name>`
 * (the group is not in the key), except the special prefixes (nodes are `minions`, services
 * `services/specs`, endpoints `services/endpoints`, replicationcontrollers `controllers`, ingresses
 * `ingress`) and the two groups whose servers name their group (`apiextensions.k8s.io/
 * customresourcedefinitions`, `apiregistration.k8s.io/apiservices`); a custom resource lives under
 * `<group>/<plural>/...` (apiextensions-apiserver). Portcullis' own keys (`/_servicenodeports/`,
 * `/_masterleases/` ...) keep their place: no upstream key begins with `_`.
 *
 * The mapping is a bijection on the keys it places: a key read from etcd that does not map back to
 * itself (another layout, another program's key) is not the store's and is skipped.
 */
import { builtinResources, mutatingAdmissionPolicyResources } from '../../api/registry/builtin.ts';
import { CUSTOM_RESOURCE_ROOT, REGISTRY_ROOT, storagePrefix } from '../../api/registry/resource-def.ts';

/** storage_factory SpecialDefaultResourcePrefixes, and the groups whose servers put their group first. */
const SPECIAL: Record<string, string> = {
  'core/replicationcontrollers': 'controllers',
  'core/endpoints': 'services/endpoints',
  'core/nodes': 'minions',
  'core/services': 'services/specs',
  'networking.k8s.io/ingresses': 'ingress',
  'apiextensions.k8s.io/customresourcedefinitions': 'apiextensions.k8s.io/customresourcedefinitions',
  'apiregistration.k8s.io/apiservices': 'apiregistration.k8s.io/apiservices',
};

const CUSTOM = CUSTOM_RESOURCE_ROOT.slice(REGISTRY_ROOT.length, -1); // "_customresources"

/**
 * Relative paths (after the root / etcd prefix), each beginning with "/". Both directions keep
 * a path's last segment (an object's name) as it is and map its parent path without looking at
 * it: KeyMapper remembers the mapping per parent path.
 */
export interface KeyLayout {
  /** The etcd path of a store path; undefined when the store path has no place in etcd. */
  toEtcd(rel: string): string | undefined;
  /** The store path of an etcd path; undefined for a key that is not the store's. */
  fromEtcd(rel: string): string | undefined;
  /**
   * The etcd path prefix holding every store path under `relPrefix`: exact when every etcd key
   * under it maps to a store path under `relPrefix`, else the caller filters by store path;
   * undefined when no store path under it has a place in etcd.
   */
  prefix(relPrefix: string): { etcd: string; exact: boolean } | undefined;
}

export const IDENTITY_LAYOUT: KeyLayout = {
  toEtcd: (rel) => rel,
  fromEtcd: (rel) => rel,
  prefix: (rel) => ({ etcd: rel, exact: true }),
};

/** "/a/b/rest" -> ["a", "b", "/rest"]; missing parts are undefined. */
function split(rel: string, n: number): { heads: string[]; tail: string } | undefined {
  const heads: string[] = [];
  let at = 0;
  for (let i = 0; i < n; i++) {
    if (rel[at] !== '/') return undefined;
    const next = rel.indexOf('/', at + 1);
    if (next < 0) return undefined;
    heads.push(rel.slice(at + 1, next));
    at = next;
  }
  return { heads, tail: rel.slice(at) };
}

export function upstreamLayout(): KeyLayout {
  const toUp = new Map<string, string>();
  // Every built-in, also those served only when their plugin is on (their keys must have a place).
  for (const def of [...builtinResources(), ...mutatingAdmissionPolicyResources()]) {
    if (def.custom !== undefined) continue;
    const gr = storagePrefix(def).slice(REGISTRY_ROOT.length, -1); // "<group|core>/<resource>"
    toUp.set(gr, SPECIAL[gr] ?? def.resource);
  }
  const fromUp = new Map([...toUp].map(([store, up]) => [up, store]));
  const upHeads = new Set([...fromUp.keys()].map((u) => u.split('/')[0]!));

  const toEtcd = (rel: string): string | undefined => {
    const one = split(rel, 1);
    if (!one) return rel === '' || rel === '/' ? rel : undefined;
    const s0 = one.heads[0]!;
    if (s0 === CUSTOM) {
      const cr = split(rel, 3);
      // A custom resource never takes a built-in's place (apiextensions.k8s.io/customresourcedefinitions).
      if (!cr || !cr.heads[1]!.includes('.') || fromUp.has(`${cr.heads[1]}/${cr.heads[2]}`)) return undefined;
      return `/${cr.heads[1]}/${cr.heads[2]}${cr.tail}`;
    }
    if (s0.startsWith('_')) return rel;
    const two = split(rel, 2);
    const up = two && toUp.get(`${two.heads[0]}/${two.heads[1]}`);
    if (two && up) return `/${up}${two.tail}`;
    // Any other path keeps its place unless etcd's layout gives that place to a resource.
    return upHeads.has(s0) || s0.includes('.') ? undefined : rel;
  };

  const fromEtcd = (rel: string): string | undefined => {
    let candidate: string | undefined;
    const two = split(rel, 2);
    const one = split(rel, 1);
    const s0 = one?.heads[0];
    if (s0 === undefined) candidate = undefined;
    else if (s0.startsWith('_')) candidate = rel;
    else if (two && fromUp.has(`${two.heads[0]}/${two.heads[1]}`)) candidate = `/${fromUp.get(`${two.heads[0]}/${two.heads[1]}`)}${two.tail}`;
    else if (fromUp.has(s0)) candidate = `/${fromUp.get(s0)}${one!.tail}`;
    else if (s0.includes('.')) candidate = `/${CUSTOM}${rel}`;
    else candidate = rel;
    return candidate !== undefined && toEtcd(candidate) === rel ? candidate : undefined;
  };

  const prefix = (relPrefix: string): { etcd: string; exact: boolean } | undefined => {
    if (relPrefix === '' || relPrefix === '/') return { etcd: relPrefix, exact: true };
    const one = split(relPrefix, 1);
    const s0 = one?.heads[0];
    // A resource, a namespace in it, or one of Portcullis' own key spaces: one etcd prefix.
    const full = s0 === CUSTOM ? split(relPrefix, 3) : s0 !== undefined && s0.startsWith('_') ? one : split(relPrefix, 2);
    if (full) {
      const mapped = toEtcd(relPrefix);
      // Every path under it maps as the prefix does: none has a place when the prefix has none.
      return mapped === undefined ? undefined : { etcd: mapped, exact: true };
    }
    // A group, or a partial name: the whole registry, filtered.
    return { etcd: '/', exact: false };
  };

  return { toEtcd, fromEtcd, prefix };
}
