/** What the REST layer needs to know about a served resource. Built-in kinds are data (builtin.ts); CRDs add more at run time. */

export interface ScaleInfo {
  /** JSON paths (dotted) of the replica fields, as a CRD's scale subresource names them. */
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

/**
 * One subresource as data: what it serves, under which kind clients and admission see it, and
 * what a write through it may change in the parent object. Upstream's storage for the parent
 * registers one REST per subresource (pkg/registry/<group>/<kind>/storage); this is that list.
 */
export interface SubresourceDef {
  name: string;
  /** Verbs served (discovery's list; a request with another verb is a 405). */
  verbs: string[];
  /** The kind the body and answer carry and admission sees; absent: the parent's kind. */
  kind?: { group: string; version: string; kind: string };
  /**
   * What a write may change in the parent: 'status' (status only), 'replicas' (through a Scale),
   * 'spec.finalizers', 'approval' (conditions), 'spec.nodeName' (a Binding),
   * 'spec.ephemeralContainers' (adding ephemeral containers: pods/ephemeralcontainers),
   * 'deletion' (an Eviction deletes the pod), 'token' (nothing: mints a token), 'node-stream'
   * (nothing: served by the pod's node agent through src/server/node-proxy), 'container-resources'
   * (the containers' resources and resizePolicy: pods/resize).
   */
  changes: 'status' | 'replicas' | 'spec.finalizers' | 'approval' | 'spec.nodeName' | 'spec.ephemeralContainers' | 'deletion' | 'token' | 'node-stream' | 'container-resources';
}

const STATUS_SUBRESOURCE: SubresourceDef = { name: 'status', verbs: ['get', 'patch', 'update'], changes: 'status' };
const SCALE_SUBRESOURCE: SubresourceDef = { name: 'scale', verbs: ['get', 'patch', 'update'], kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, changes: 'replicas' };

/** A resource's subresources: its own table, or for custom resources status and scale as the CRD enables them. */
export function subresourcesOf(def: Pick<ResourceDef, 'status' | 'scale' | 'subresources'>): readonly SubresourceDef[] {
  if (def.subresources) return def.subresources;
  const out: SubresourceDef[] = [];
  if (def.status) out.push(STATUS_SUBRESOURCE);
  if (def.scale) out.push(SCALE_SUBRESOURCE);
  return out;
}

export function findSubresource(def: Pick<ResourceDef, 'status' | 'scale' | 'subresources'>, name: string): SubresourceDef | undefined {
  return subresourcesOf(def).find((s) => s.name === name);
}

export { STATUS_SUBRESOURCE, SCALE_SUBRESOURCE };

export type NameRule = 'subdomain' | 'label' | 'label-1035' | 'path-segment';

export interface ResourceDef {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  /** Plural, lower case: the URL segment. */
  resource: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  /** Subresources served. */
  status: boolean;
  scale?: ScaleInfo;
  /** Extra subresources that exist (e.g. namespaces/finalize, certificatesigningrequests/approval). */
  extraSubresources?: string[];
  /** Every subresource served, as data (built-in kinds); custom resources derive theirs from status and scale. */
  subresources?: SubresourceDef[];
  nameRule: NameRule;
  /** Whether metadata.generation tracks changes of the spec (kinds with a spec). */
  generation: boolean;
  /** Extra field selector fields beyond metadata.name / metadata.namespace. */
  fieldLabels: (obj: Record<string, any>) => Record<string, string>;
  /** Proto/schema type name for built-in kinds, undefined for custom resources. */
  typeName?: string;
  /** Custom resource served from a CRD. */
  custom?: { crdName: string; schema?: unknown; preserveUnknownFields?: boolean };
  /**
   * A virtual resource: not stored, only created (reviews). Names the handler the server runs
   * instead of storage (see src/server/rest/virtual/).
   */
  virtual?: string;
  /**
   * For a resource served at several versions from one storage (autoscaling/v1 beside the stored
   * autoscaling/v2): the stored object as this version shows it, and this version's object as stored.
   */
  convert?: {
    fromStored(obj: Record<string, any>): Record<string, any> & { metadata: Record<string, any> };
    toStored(obj: Record<string, any>): Record<string, any> & { metadata: Record<string, any> };
  };
  /** The group whose storage this resource shares (events.k8s.io Events are core Events: 'core'). */
  storageGroup?: string;
  /** Objects of this resource are deleted gracefully (pods on a node). */
  graceful?: (obj: Record<string, any>) => number | undefined;
}

export const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export function groupVersion(def: Pick<ResourceDef, 'group' | 'version'>): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}

/** The root of every key: what a store's whole key space starts with. This module owns the key layout below it. */
export const REGISTRY_ROOT = '/registry/';

/**
 * Custom resources live in their own key space. A built-in's prefix is `/registry/<group|core>/`
 * and a group is a DNS subdomain, which cannot start with '_', so no built-in (present or future)
 * and no CRD group can produce a key in here, and a custom resource's key is unique per
 * group+plural: a CRD can never read, write or purge another resource's objects.
 */
export const CUSTOM_RESOURCE_ROOT = `${REGISTRY_ROOT}_customresources/`;

type KeyDef = Pick<ResourceDef, 'group' | 'resource'> & { custom?: unknown; storageGroup?: string };

/** The storage prefix of the resource a CRD (group + plural) defines, at every version. */
export function customResourcePrefix(group: string, plural: string): string {
  return `${CUSTOM_RESOURCE_ROOT}${group}/${plural}/`;
}

export function storagePrefix(def: KeyDef): string {
  if (def.custom !== undefined) return customResourcePrefix(def.group, def.resource);
  return `${REGISTRY_ROOT}${def.storageGroup ?? (def.group || 'core')}/${def.resource}/`;
}

/** A built-in resource's storage prefix by group ('' for core) and resource, for code without its ResourceDef at hand. */
export function builtinPrefix(group: string, resource: string): string {
  return storagePrefix({ group, resource });
}

/**
 * A key (or, with a trailing '' part, a prefix) under a built-in resource: builtinKey('', 'pods',
 * ns, name), builtinKey('', 'nodes', name), builtinKey('', 'limitranges', ns, '') for one
 * namespace's objects.
 */
export function builtinKey(group: string, resource: string, ...parts: string[]): string {
  return builtinPrefix(group, resource) + parts.join('/');
}

/** Every built-in resource of one group ('' for core): `/registry/<group|core>/`. */
export function builtinGroupPrefix(group: string): string {
  return `${REGISTRY_ROOT}${group || 'core'}/`;
}

/**
 * A key space of the API server's own bookkeeping that is no resource (node port allocations, the
 * API servers' endpoint leases): `/registry/_<space>/<kind>/`. Like the custom resources' root, a
 * leading '_' keeps it apart from every group.
 */
export function internalPrefix(space: string, kind: string): string {
  return `${REGISTRY_ROOT}_${space}/${kind}/`;
}

export function objectKey(def: KeyDef & Pick<ResourceDef, 'namespaced'>, namespace: string, name: string): string {
  return def.namespaced ? `${storagePrefix(def)}${namespace}/${name}` : `${storagePrefix(def)}${name}`;
}

/** Prefix for list/watch: all namespaces when namespace is empty. */
export function listPrefix(def: KeyDef & Pick<ResourceDef, 'namespaced'>, namespace: string): string {
  return def.namespaced && namespace ? `${storagePrefix(def)}${namespace}/` : storagePrefix(def);
}

/** What a storage key names, in either layout: `/registry/<group|core>/<resource>/[<ns>/]<name>` or the custom resources' one. */
export interface ObjectKeyParts {
  /** The group the key is stored under ('' for core; a built-in sharing another group's storage reports that group). */
  group: string;
  resource: string;
  /** Whether the key is in the custom resources' key space. */
  custom: boolean;
  /** '' for a cluster-scoped object. */
  namespace: string;
  name: string;
}

/**
 * The inverse of objectKey, for code that sees only keys (watchers over all of /registry/). A
 * name and a namespace never contain '/', so the segments after the resource prefix say the
 * scope: one is a cluster-scoped name, two are namespace and name. Anything else is not an
 * object key (undefined).
 */
export function parseObjectKey(key: string): ObjectKeyParts | undefined {
  const custom = key.startsWith(CUSTOM_RESOURCE_ROOT);
  const root = custom ? CUSTOM_RESOURCE_ROOT : REGISTRY_ROOT;
  if (!key.startsWith(root)) return undefined;
  const parts = key.slice(root.length).split('/');
  if (parts.length < 3 || parts.length > 4 || parts.some((p) => p === '')) return undefined;
  const [g, resource, a, b] = parts as [string, string, string, string | undefined];
  if (!custom && g.startsWith('_')) return undefined;
  const group = !custom && g === 'core' ? '' : g;
  return b === undefined ? { group, resource, custom, namespace: '', name: a } : { group, resource, custom, namespace: a, name: b };
}
