/** Object keys as client-go's cache.MetaNamespaceKeyFunc writes them: "ns/name", or "name" when cluster-scoped. */
import type { K8sObject } from './types.ts';

export function keyOf(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export function objectKey(obj: K8sObject): string {
  return keyOf(obj.metadata.namespace, obj.metadata.name ?? '');
}

/** The namespace ('' when cluster-scoped) and name of a key. */
export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/**
 * Freezes a value received from the server in place, so the one copy a cache holds can be handed
 * to every handler: nobody can change what another sees. (The store has its own; src/cluster
 * must not import src/storage.)
 */
export function freezeDeep<T>(v: T): T {
  const pending: unknown[] = [v];
  while (pending.length > 0) {
    const x = pending.pop();
    if (x === null || typeof x !== 'object' || Object.isFrozen(x)) continue;
    Object.freeze(x);
    for (const child of Object.values(x)) pending.push(child);
  }
  return v;
}
