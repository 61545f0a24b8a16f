/**
 * Which resources the namespace controller, the garbage collector and the quota controller act
 * on (upstream: discovery's ServerPreferredResources filtered by verbs). The list is read from
 * the API server's resource registry as data; every read and write of the objects themselves
 * goes through the API as the controller's own identity.
 */
import type { ResourceDef } from '../../api/registry/resource-def.ts';
import { storagePrefix } from '../../api/registry/resource-def.ts';
import type { ResourceRef } from '../client/types.ts';

/** A source of the resources served now (CRDs come and go). */
export type ResourceDiscovery = () => ResourceRef[];

/**
 * One ResourceRef per stored resource that can be listed, watched and deleted: a resource served
 * at several versions, or under two groups from one storage (events.k8s.io Events are core
 * Events), appears once, at the version the registry lists first (the preferred one). Virtual
 * resources (reviews) store nothing.
 */
export function discoveryFromRegistry(registry: { all(): ResourceDef[] }): ResourceDiscovery {
  return () => {
    const seen = new Set<string>();
    const out: ResourceRef[] = [];
    for (const d of registry.all()) {
      if (d.virtual !== undefined || d.convert !== undefined) continue;
      if (!['list', 'watch', 'delete'].every((v) => d.verbs.includes(v))) continue;
      const prefix = storagePrefix(d);
      if (seen.has(prefix)) continue;
      seen.add(prefix);
      out.push(Object.freeze({ group: d.group, version: d.version, resource: d.resource, kind: d.kind, namespaced: d.namespaced }));
    }
    return out;
  };
}

/** The key a ResourceRef is known by across versions: group/resource. */
export const groupResourceOf = (r: Pick<ResourceRef, 'group' | 'resource'>): string => `${r.group}/${r.resource}`;
