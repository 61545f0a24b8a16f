/**
 * kube-apiserver's `--watch-cache` and `--watch-cache-sizes`, as the watch cache's uncached key
 * prefixes (storage/uncached-prefixes.ts).
 *
 * Upstream (1.33): cmd/kube-apiserver/app/options/completion.go Complete() starts from
 * pkg/kubeapiserver/default_storage_factory_builder.go DefaultWatchCacheSizes() (core `events` and
 * `events.k8s.io` `events` at 0) and lays the flag's entries over it, parsed by
 * apiserver/pkg/server/options/etcd.go ParseWatchCacheSizes; etcd.go
 * StorageFactoryRestOptionsFactory.GetRESTOptions then leaves a resource whose size is 0
 * undecorated (no cacher: storage read from etcd) and caches every other, a non-zero size only
 * logged as dropped ("watchCache size is now dynamic"). With `--watch-cache=false` nothing is
 * cached and the sizes are not even parsed.
 *
 * Here one cache spans the store, so a size applies to the resource's storage prefix; the
 * resources sharing a prefix (core and events.k8s.io Events) leave it only when every one of
 * them has 0, since a cached resource would be served from memory. Only built-in resources are
 * looked up, as upstream's flag applies only to resources built into the server.
 */
import { builtinResources, mutatingAdmissionPolicyResources } from '../api/registry/builtin.ts';
import { storagePrefix } from '../api/registry/resource-def.ts';

/** A group resource as schema.GroupResource.String() writes it: `resource` (core) or `resource.group`. */
type GroupResource = string;

function groupResource(group: string, resource: string): GroupResource {
  return group ? `${resource}.${group}` : resource;
}

/** pkg/kubeapiserver DefaultWatchCacheSizes(). */
export function defaultWatchCacheSizes(): Map<GroupResource, number> {
  return new Map([
    [groupResource('', 'events'), 0],
    [groupResource('events.k8s.io', 'events'), 0],
  ]);
}

/** strconv.Atoi: an optional sign and decimal digits, within int64. */
function atoi(text: string): number | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Math.abs(n) <= 2 ** 63 ? n : undefined;
}

/**
 * apiserver options ParseWatchCacheSizes: `resource[.group]#size` entries (schema.ParseGroupResource
 * splits at the first dot), the same errors; a later entry for a resource wins.
 */
export function parseWatchCacheSizes(entries: readonly string[]): Map<GroupResource, number> {
  const sizes = new Map<GroupResource, number>();
  for (const c of entries) {
    const tokens = c.split('#');
    if (tokens.length !== 2) throw new Error(`invalid value of watch cache size: ${c}`);
    const size = atoi(tokens[1]!);
    if (size === undefined) throw new Error(`invalid size of watch cache size: ${c}`);
    if (size < 0) throw new Error(`watch cache size cannot be negative: ${c}`);
    const gr = tokens[0]!;
    const dot = gr.indexOf('.');
    sizes.set(dot >= 0 ? groupResource(gr.slice(dot + 1), gr.slice(0, dot)) : groupResource('', gr), size);
  }
  return sizes;
}

/** The flags' values: whether the watch cache runs, and the sizes given (defaults not yet applied). */
export interface WatchCacheFlags {
  enabled: boolean;
  sizes: Map<GroupResource, number>;
}

/**
 * The storage prefixes the watch cache leaves to the store under `flags` (absent: upstream's
 * defaults), or undefined when no watch cache runs at all (--watch-cache=false).
 */
export function uncachedPrefixes(flags?: WatchCacheFlags): string[] | undefined {
  if (flags && !flags.enabled) return undefined;
  const sizes = defaultWatchCacheSizes();
  for (const [gr, size] of flags?.sizes ?? []) sizes.set(gr, size);
  const cachedByPrefix = new Map<string, boolean>();
  for (const def of [...builtinResources(), ...mutatingAdmissionPolicyResources()]) {
    if (def.virtual) continue;
    const prefix = storagePrefix(def);
    const cached = sizes.get(groupResource(def.group, def.resource)) !== 0;
    cachedByPrefix.set(prefix, (cachedByPrefix.get(prefix) ?? false) || cached);
  }
  return [...cachedByPrefix].filter(([, cached]) => !cached).map(([prefix]) => prefix);
}
