/**
 * Keeps an RbacIndex equal to the store: list the four RBAC prefixes at one revision, then
 * watch each from that revision and apply every event to the one binding or role it names.
 * A broken watch (fell behind, compacted) relists and rebuilds (the store's reflector), in one
 * synchronous step: no decision ever sees a half-built index.
 */
import { reflect, type Reflection, type ReflectorOptions } from '../../storage/reflector.ts';
import type { Store, WatchEvent } from '../../storage/types.ts';
import type { RbacIndex } from './rbac-index.ts';
import { RBAC_PREFIX, type BindingObject, type RoleObject } from './types.ts';

const RESOURCES = ['clusterroles', 'roles', 'clusterrolebindings', 'rolebindings'] as const;
type RbacResource = (typeof RESOURCES)[number];

export type RbacSync = Reflection;
export type RbacSyncOptions = ReflectorOptions;

export function syncRbacIndex(store: Pick<Store, 'currentRevision' | 'list' | 'watch'>, index: RbacIndex, opts: RbacSyncOptions = {}): RbacSync {
  return reflect(
    store,
    RESOURCES.map((r) => RBAC_PREFIX + r + '/'),
    {
      replace(lists) {
        index.clear();
        lists.forEach((l, i) => {
          for (const item of l.items) applyObject(index, RESOURCES[i]!, item.key, item.value);
        });
      },
      event: (i, e) => applyEvent(index, RESOURCES[i]!, e),
    },
    opts,
  );
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
