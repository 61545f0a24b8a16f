/**
 * The aggregated group/versions in this server's discovery documents, as kube-aggregator merges
 * them: each Available APIService's group/version with the resources its backend listed at
 * GET /apis/<group>/<version> during the last successful availability check. Clients (kubectl
 * get, api-resources, top) find aggregated resources this way.
 */

type Obj = Record<string, any>;

export interface DiscoveredVersion {
  group: string;
  version: string;
  groupPriorityMinimum: number;
  versionPriority: number;
  /** The backend's APIResourceList.resources. */
  resources: Obj[];
}

/** Versions of each group, the group order and version order by priority (highest first), as upstream sorts them. */
function byGroup(found: readonly DiscoveredVersion[]): Map<string, DiscoveredVersion[]> {
  const sorted = [...found].sort((a, b) => b.groupPriorityMinimum - a.groupPriorityMinimum || a.group.localeCompare(b.group) || b.versionPriority - a.versionPriority || a.version.localeCompare(b.version));
  const out = new Map<string, DiscoveredVersion[]>();
  for (const d of sorted) {
    const list = out.get(d.group) ?? [];
    list.push(d);
    out.set(d.group, list);
  }
  return out;
}

function groupDoc(group: string, versions: DiscoveredVersion[]): Obj {
  const vs = versions.map((v) => ({ groupVersion: `${group}/${v.version}`, version: v.version }));
  return { name: group, versions: vs, preferredVersion: vs[0] };
}

/** Adds aggregated groups this server does not serve itself to an APIGroupList. */
export function mergeGroupList(list: Obj, found: readonly DiscoveredVersion[]): Obj {
  const have = new Set((list.groups ?? []).map((g: Obj) => g.name));
  const extra = [...byGroup(found)].filter(([g]) => !have.has(g)).map(([g, vs]) => groupDoc(g, vs));
  return { ...list, groups: [...(list.groups ?? []), ...extra] };
}

/** The APIGroup document of an aggregated group, or undefined. */
export function aggregatedGroup(group: string, found: readonly DiscoveredVersion[]): Obj | undefined {
  const vs = byGroup(found).get(group);
  return vs ? { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(group, vs) } : undefined;
}

/** An APIResource of an APIResourceList as an aggregated (apidiscovery v2) resource with its subresources. */
function discoveryResources(d: DiscoveredVersion): Obj[] {
  const top = d.resources.filter((r) => typeof r?.name === 'string' && !r.name.includes('/'));
  return top.map((r) => {
    const out: Obj = {
      resource: r.name,
      responseKind: { group: r.group ?? d.group, version: r.version ?? d.version, kind: r.kind ?? '' },
      scope: r.namespaced ? 'Namespaced' : 'Cluster',
      singularResource: r.singularName ?? '',
      verbs: Array.isArray(r.verbs) ? r.verbs : [],
    };
    if (Array.isArray(r.shortNames) && r.shortNames.length) out.shortNames = r.shortNames;
    if (Array.isArray(r.categories) && r.categories.length) out.categories = r.categories;
    const subs = d.resources.filter((s) => typeof s?.name === 'string' && s.name.startsWith(`${r.name}/`));
    if (subs.length) {
      out.subresources = subs.map((s) => ({ subresource: s.name.slice(r.name.length + 1), responseKind: { group: s.group ?? d.group, version: s.version ?? d.version, kind: s.kind ?? '' }, verbs: Array.isArray(s.verbs) ? s.verbs : [] }));
    }
    return out;
  });
}

/** Adds aggregated groups to an APIGroupDiscoveryList (apidiscovery v2 / v2beta1). */
export function mergeAggregatedDiscovery(doc: Obj, found: readonly DiscoveredVersion[]): Obj {
  const have = new Set((doc.items ?? []).map((g: Obj) => g.metadata?.name));
  const extra = [...byGroup(found)]
    .filter(([g]) => !have.has(g))
    .map(([g, vs]) => ({ metadata: { name: g, creationTimestamp: null }, versions: vs.map((v) => ({ version: v.version, resources: discoveryResources(v), freshness: 'Current' })) }));
  return { ...doc, items: [...(doc.items ?? []), ...extra] };
}
