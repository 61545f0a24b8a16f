/**
 * Which resources exist, read from the API server's discovery documents (upstream's
 * ServerPreferredResources): the core group's v1 and each group's preferred version, keeping the
 * resources (not subresources) that can be listed, watched and deleted. The namespace, quota and
 * garbage-collector controllers act on that list; in `portcullis up` the control plane hands them
 * its registry instead, and a separate `portcullis controller-manager` uses this.
 */
import type { ResourceRef } from './types.ts';

interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
  verbs?: string[];
}
interface ApiResourceList {
  groupVersion: string;
  resources?: ApiResource[];
}
interface ApiGroupList {
  groups?: Array<{ name: string; preferredVersion?: { groupVersion: string; version: string }; versions?: Array<{ version: string }> }>;
}

export interface DiscoveryClient {
  getPath<T>(path: string): Promise<T>;
}

const NEEDED = ['list', 'watch', 'delete'];

/** One fetch of every group's preferred version; a group that fails to answer is left out. */
export async function discoverResources(client: DiscoveryClient): Promise<ResourceRef[]> {
  const lists: ApiResourceList[] = [await client.getPath<ApiResourceList>('/api/v1')];
  const groups = (await client.getPath<ApiGroupList>('/apis')).groups ?? [];
  const fetched = await Promise.allSettled(
    groups.map((g) => {
      const version = g.preferredVersion?.version ?? g.versions?.[0]?.version;
      return version ? client.getPath<ApiResourceList>(`/apis/${g.name}/${version}`) : Promise.reject(new Error(`group ${g.name} lists no version`));
    }),
  );
  for (const f of fetched) if (f.status === 'fulfilled') lists.push(f.value);
  const out: ResourceRef[] = [];
  for (const list of lists) {
    const slash = list.groupVersion.indexOf('/');
    const group = slash >= 0 ? list.groupVersion.slice(0, slash) : '';
    const version = slash >= 0 ? list.groupVersion.slice(slash + 1) : list.groupVersion;
    for (const r of list.resources ?? []) {
      if (r.name.includes('/')) continue;
      if (!NEEDED.every((v) => r.verbs?.includes(v))) continue;
      out.push(Object.freeze({ group, version, resource: r.name, kind: r.kind, namespaced: r.namespaced }));
    }
  }
  return out;
}

export interface ApiDiscovery {
  /** The list as last fetched (what ResourceDiscovery asks for). */
  current(): ResourceRef[];
  stop(): void;
}

/** Fetches once (awaited), then again every `refreshMs` so custom resources come and go. */
export async function startApiDiscovery(client: DiscoveryClient, opts: { refreshMs?: number; onError?: (err: unknown) => void } = {}): Promise<ApiDiscovery> {
  let latest = await discoverResources(client);
  const timer = setInterval(() => {
    discoverResources(client).then(
      (r) => (latest = r),
      (err) => opts.onError?.(err),
    );
  }, opts.refreshMs ?? 30_000);
  timer.unref();
  return { current: () => latest, stop: () => clearInterval(timer) };
}
