/**
 * Keeps an RbacIndex equal to the store: list the four RBAC prefixes at one revision, then
 * watch each from that revision and apply every event to the one binding or role it names.
 * A broken watch (fell behind, compacted) relists and rebuilds.
 */
import type { Store, Watcher, WatchEvent } from '../../storage/types.ts';
import type { RbacIndex } from './rbac-index.ts';
import { RBAC_PREFIX, type BindingObject, type RoleObject } from './types.ts';

const RESOURCES = ['clusterroles', 'roles', 'clusterrolebindings', 'rolebindings'] as const;
type RbacResource = (typeof RESOURCES)[number];

export interface RbacSync {
  /** Resolves once the initial list is in the index. */
  ready: Promise<void>;
  stop(): void;
}

export interface RbacSyncOptions {
  /** Told about watch failures and relists (logging). */
  onError?: (err: Error) => void;
  /** Delay before retrying a failed list (default 1000 ms). */
  retryMs?: number;
}

export function syncRbacIndex(store: Pick<Store, 'currentRevision' | 'list' | 'watch'>, index: RbacIndex, opts: RbacSyncOptions = {}): RbacSync {
  let watchers: Watcher[] = [];
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let resolveReady!: () => void;
  const ready = new Promise<void>((r) => (resolveReady = r));

  const closeWatchers = () => {
    for (const w of watchers) w.close();
    watchers = [];
  };

  const restart = (err: Error) => {
    if (stopped) return;
    opts.onError?.(err);
    closeWatchers();
    void start();
  };

  async function start(): Promise<void> {
    try {
      const rev = store.currentRevision();
      const lists = await Promise.all(RESOURCES.map((r) => store.list(RBAC_PREFIX + r + '/', { atRevision: rev })));
      if (stopped) return;
      // Clear and refill in one synchronous step: no decision ever sees a half-built index.
      index.clear();
      lists.forEach((l, i) => {
        for (const item of l.items) applyObject(index, RESOURCES[i]!, item.key, item.value);
      });
      watchers = RESOURCES.map((r) =>
        store.watch(RBAC_PREFIX + r + '/', rev, {
          onEvent: (e: WatchEvent) => applyEvent(index, r, e),
          onError: restart,
        }),
      );
      resolveReady();
    } catch (err) {
      if (stopped) return;
      opts.onError?.(err as Error);
      closeWatchers();
      timer = setTimeout(() => void start(), opts.retryMs ?? 1000);
      timer.unref();
    }
  }

  void start();
  return {
    ready,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      closeWatchers();
    },
  };
}

function applyEvent(index: RbacIndex, resource: RbacResource, e: WatchEvent): void {
  if (e.type === 'DELETED') deleteObject(index, resource, e.key);
  else applyObject(index, resource, e.key, e.value);
}

/** The identity comes from the key, as the store owns it; the value supplies the content. */
function applyObject(index: RbacIndex, resource: RbacResource, key: string, value: unknown): void {
  const { namespace, name } = parseKey(resource, key);
  const obj = value as RoleObject & BindingObject;
  const metadata = { ...obj.metadata, name, namespace };
  switch (resource) {
    case 'clusterroles':
      return index.setClusterRole({ ...obj, metadata });
    case 'roles':
      return index.setRole({ ...obj, metadata });
    case 'clusterrolebindings':
      return index.setBinding('ClusterRoleBinding', { ...obj, metadata });
    case 'rolebindings':
      return index.setBinding('RoleBinding', { ...obj, metadata });
  }
}

function deleteObject(index: RbacIndex, resource: RbacResource, key: string): void {
  const { namespace, name } = parseKey(resource, key);
  switch (resource) {
    case 'clusterroles':
      return index.deleteClusterRole(name);
    case 'roles':
      return index.deleteRole(namespace, name);
    case 'clusterrolebindings':
      return index.deleteBinding('ClusterRoleBinding', '', name);
    case 'rolebindings':
      return index.deleteBinding('RoleBinding', namespace, name);
  }
}

function parseKey(resource: RbacResource, key: string): { namespace: string; name: string } {
  const rest = key.slice(RBAC_PREFIX.length + resource.length + 1);
  if (resource === 'roles' || resource === 'rolebindings') {
    const slash = rest.indexOf('/');
    return { namespace: rest.slice(0, slash), name: rest.slice(slash + 1) };
  }
  return { namespace: '', name: rest };
}
