/**
 * Discovery documents built from the registry: the legacy ones (/api, /apis, /api/v1,
 * /apis/{g}/{v}) and the aggregated apidiscovery.k8s.io/v2 form that kubectl asks for.
 */
import type { ResourceRegistry } from './registry/registry.ts';
import { subresourcesOf, type ResourceDef } from './registry/resource-def.ts';

/** Preferred order of groups, as upstream lists them; others follow alphabetically. */
const GROUP_ORDER = [
  '',
  'apiregistration.k8s.io',
  'apps',
  'events.k8s.io',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'autoscaling',
  'batch',
  'certificates.k8s.io',
  'networking.k8s.io',
  'policy',
  'rbac.authorization.k8s.io',
  'storage.k8s.io',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'scheduling.k8s.io',
  'coordination.k8s.io',
  'node.k8s.io',
  'discovery.k8s.io',
];

function groupRank(g: string): number {
  const i = GROUP_ORDER.indexOf(g);
  return i < 0 ? GROUP_ORDER.length : i;
}

function groups(reg: ResourceRegistry): Map<string, Map<string, ResourceDef[]>> {
  const out = new Map<string, Map<string, ResourceDef[]>>();
  const defs = reg.all().sort((a, b) => groupRank(a.group) - groupRank(b.group) || a.group.localeCompare(b.group) || a.resource.localeCompare(b.resource));
  for (const d of defs) {
    let versions = out.get(d.group);
    if (!versions) out.set(d.group, (versions = new Map()));
    let list = versions.get(d.version);
    if (!list) versions.set(d.version, (list = []));
    list.push(d);
  }
  return out;
}

/**
 * Discovery's view of a resource's subresource table. Group and version are named only when the
 * subresource's kind lives in another group version than its parent (autoscaling/v1 Scale,
 * policy/v1 Eviction), as upstream's installer sets APIResource.Group/Version.
 */
function subresources(d: ResourceDef): Array<{ name: string; kind: string; group?: string; version?: string; verbs: string[] }> {
  return subresourcesOf(d).map((s) => {
    const k = s.kind;
    if (!k) return { name: s.name, kind: d.kind, verbs: s.verbs };
    if (k.group === d.group && k.version === d.version) return { name: s.name, kind: k.kind, verbs: s.verbs };
    return { name: s.name, kind: k.kind, group: k.group, version: k.version, verbs: s.verbs };
  });
}

export function apiVersions(): unknown {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '' }] };
}

export function apiGroupList(reg: ResourceRegistry): unknown {
  const list = [];
  for (const [g, versions] of groups(reg)) {
    if (g === '') continue;
    const vs = [...versions.keys()].map((v) => ({ groupVersion: `${g}/${v}`, version: v }));
    list.push({ name: g, versions: vs, preferredVersion: vs[0] });
  }
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: list };
}

export function apiGroup(reg: ResourceRegistry, group: string): unknown | undefined {
  const versions = groups(reg).get(group);
  if (!versions || group === '') return undefined;
  const vs = [...versions.keys()].map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
  return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions: vs, preferredVersion: vs[0] };
}

export function apiResourceList(reg: ResourceRegistry, group: string, version: string): unknown | undefined {
  const defs = groups(reg).get(group)?.get(version);
  if (!defs) return undefined;
  const resources: unknown[] = [];
  for (const d of defs) {
    const r: Record<string, unknown> = { name: d.resource, singularName: d.singular, namespaced: d.namespaced, kind: d.kind, verbs: d.verbs };
    if (d.shortNames.length) r.shortNames = d.shortNames;
    if (d.categories.length) r.categories = d.categories;
    resources.push(r);
    for (const s of subresources(d)) {
      const sr: Record<string, unknown> = { name: `${d.resource}/${s.name}`, singularName: '', namespaced: d.namespaced, kind: s.kind, verbs: s.verbs };
      if (s.group) sr.group = s.group;
      if (s.version) sr.version = s.version;
      resources.push(sr);
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}

export type DiscoveryVersion = 'v2' | 'v2beta1';

export function aggregatedDiscoveryContentType(v: DiscoveryVersion): string {
  return `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`;
}

/**
 * Which aggregated discovery version an Accept header asks for, in its order of preference:
 * kubectl 1.30+ asks for v2 (and v2beta1), 1.27-1.29 for v2beta1 only. Undefined: the legacy form.
 */
export function negotiateDiscovery(accept: string | undefined): DiscoveryVersion | undefined {
  for (const entry of (accept ?? '').split(',')) {
    const params = new Map<string, string>();
    for (const p of entry.split(';').slice(1)) {
      const [k, v] = p.split('=').map((x) => x.trim().replace(/^"|"$/g, ''));
      if (k && v !== undefined) params.set(k, v);
    }
    if (params.get('as') !== 'APIGroupDiscoveryList' || params.get('g') !== 'apidiscovery.k8s.io') continue;
    const v = params.get('v');
    if (v === 'v2' || v === 'v2beta1') return v;
  }
  return undefined;
}

/** The aggregated document: `legacy` true for /api (the core group), false for /apis. */
export function aggregatedDiscovery(reg: ResourceRegistry, legacy: boolean, version: DiscoveryVersion = 'v2'): unknown {
  const items = [];
  for (const [g, versions] of groups(reg)) {
    if (legacy !== (g === '')) continue;
    items.push({
      metadata: { name: g, creationTimestamp: null },
      versions: [...versions.entries()].map(([v, defs]) => ({
        version: v,
        resources: defs.map((d) => {
          const r: Record<string, unknown> = {
            resource: d.resource,
            responseKind: { group: d.group, version: d.version, kind: d.kind },
            scope: d.namespaced ? 'Namespaced' : 'Cluster',
            singularResource: d.singular,
            verbs: d.verbs,
          };
          if (d.shortNames.length) r.shortNames = d.shortNames;
          if (d.categories.length) r.categories = d.categories;
          const subs = subresources(d);
          if (subs.length) {
            r.subresources = subs.map((s) => ({ subresource: s.name, responseKind: { group: s.group ?? d.group, version: s.version ?? d.version, kind: s.kind }, verbs: s.verbs }));
          }
          return r;
        }),
        freshness: 'Current',
      })),
    });
  }
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items };
}
