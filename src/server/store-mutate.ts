/**
 * Read-modify-write of stored objects for the API server's own machinery (the CRD controller,
 * APIService availability), which upstream runs inside kube-apiserver too. Controllers of the
 * controller manager never use it: they are API clients (src/cluster).
 */
import { StorageError, type Store } from '../storage/types.ts';
import { withDecodableManagedFields } from '../api/apply/stored-managed-fields.ts';

export type Obj = Record<string, any> & { metadata: Record<string, any> };

/**
 * Read-modify-write of one stored object with conflict retries. `fn` returns the new value,
 * 'delete' to remove the object, or undefined to leave it. An object being deleted whose last
 * finalizer is gone is removed, as the REST layer does.
 */
export async function mutate(store: Store, key: string, fn: (o: Obj) => Obj | 'delete' | undefined): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const s = await store.get<Obj>(key);
    if (!s) return;
    const v = s.value as unknown;
    // A value that is not an object cannot be reasoned about: the caller logs it by key and backs off.
    if (v === null || typeof v !== 'object' || Array.isArray(v) || !isObject((v as Obj).metadata)) {
      throw new Error(`stored value at ${key} is not a Kubernetes object`);
    }
    // managedFields too deep to decode would overflow the copy: they are dropped, as the REST layer reads them.
    const next = fn(structuredClone(withDecodableManagedFields(s.value)));
    if (next === undefined) return;
    try {
      if (next === 'delete' || (next.metadata.deletionTimestamp && !(next.metadata.finalizers?.length > 0) && !(next.metadata.deletionGracePeriodSeconds > 0) && !hasSpecFinalizers(next))) {
        await store.delete(key, s.modRevision);
      } else {
        await store.update(key, next, s.modRevision);
      }
      return;
    } catch (err) {
      if (err instanceof StorageError && (err.code === 'Conflict')) continue;
      if (err instanceof StorageError && err.code === 'NotFound') return;
      throw err;
    }
  }
}

function isObject(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function hasSpecFinalizers(o: Obj): boolean {
  return o.kind === 'Namespace' && (o.spec?.finalizers?.length ?? 0) > 0;
}

export function withoutItem<T>(list: T[] | undefined, item: T): T[] {
  return (list ?? []).filter((x) => x !== item);
}
