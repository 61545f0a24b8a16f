/**
 * Moves custom resources that an older Portcullis stored beside the built-ins, under
 * `/registry/<group>/<plural>/`, into their own key space (customResourcePrefix). Without it an
 * upgrade would hide them: the data would stay stored but no longer served, nor ever purged.
 *
 * It never touches a built-in's keys: that shared prefix is how a CRD named like
 * clusterrolebindings.rbac.authorization.k8s.io read and wiped ClusterRoleBindings. A legacy
 * prefix equal to any built-in's storage prefix is refused (the naming controller refuses such a
 * CRD before it gets here; this is the second lock).
 *
 * Crash-safe and idempotent, also with several API servers migrating at once: each object is
 * created at its new key with its stored value, then its legacy key is deleted. A crash between
 * the two leaves both; the next run keeps the new key (it may already have been changed through
 * the API) and deletes the legacy one. The stored value is copied as it is, so uid, finalizers,
 * ownerReferences and a pending deletionTimestamp survive. The resourceVersion does not: it is the
 * store's revision of the new key. That is a one-time change, as after an etcd restore; clients
 * relist (a watch from an old resourceVersion sees the objects as added).
 */
import type { Store } from '../../storage/types.ts';
import { StorageError } from '../../storage/types.ts';
import { builtinResources } from '../registry/builtin.ts';
import { builtinPrefix, customResourcePrefix, storagePrefix, type ResourceDef } from '../registry/resource-def.ts';

/** Where an older Portcullis stored a CRD's objects: the built-ins' layout. */
export function legacyCustomResourcePrefix(group: string, plural: string): string {
  return builtinPrefix(group, plural);
}

export interface MigrationResult {
  /** Objects moved to the new key space. */
  migrated: number;
  /** Legacy keys dropped because the new key already existed (a run interrupted between create and delete). */
  superseded: number;
}

/** Objects moved per list; each batch is deleted from the legacy prefix before the next is read. */
const BATCH = 500;

/**
 * Whether the legacy prefix of group/plural may be migrated: a CRD group and plural (no '/', no
 * leading '_') that name no built-in and whose legacy prefix is no built-in's storage prefix
 * (a built-in in `builtins`, the served ones, or in the built-in table).
 */
export function mayMigrate(group: string, plural: string, builtins: Iterable<Pick<ResourceDef, 'group' | 'resource' | 'custom' | 'storageGroup'>>): boolean {
  const segment = /^[^/_][^/]*$/;
  if (!segment.test(group) || !segment.test(plural)) return false;
  const legacy = legacyCustomResourcePrefix(group, plural);
  const owned = (d: Pick<ResourceDef, 'group' | 'resource' | 'custom' | 'storageGroup'>) => {
    if (d.custom !== undefined) return false;
    if (d.group === group && d.resource === plural) return true;
    const p = storagePrefix(d);
    return p.startsWith(legacy) || legacy.startsWith(p);
  };
  for (const d of builtins) if (owned(d)) return false;
  return !builtinResources().some(owned);
}

/**
 * Moves every object under group/plural's legacy prefix to the new key space. Throws (after the
 * objects it already moved) on a storage error: the caller retries, and a retry resumes.
 */
export async function migrateLegacyCustomResources(store: Store, group: string, plural: string, builtins: Iterable<Pick<ResourceDef, 'group' | 'resource' | 'custom' | 'storageGroup'>>): Promise<MigrationResult> {
  const result: MigrationResult = { migrated: 0, superseded: 0 };
  if (!mayMigrate(group, plural, builtins)) return result;
  const legacy = legacyCustomResourcePrefix(group, plural);
  const target = customResourcePrefix(group, plural);
  // Each round deletes what it read, so the next one reads on; a key that changed between read
  // and delete (an old server still writing) is simply read again.
  for (;;) {
    const page = await store.list<unknown>(legacy, { limit: BATCH });
    if (page.items.length === 0) return result;
    for (const item of page.items) {
      const key = target + item.key.slice(legacy.length);
      try {
        await store.create(key, item.value);
        result.migrated++;
      } catch (err) {
        if (!(err instanceof StorageError && err.code === 'KeyExists')) throw err;
        result.superseded++;
      }
      try {
        await store.delete(item.key, item.modRevision);
      } catch (err) {
        // NotFound: another server moved it meanwhile. Conflict: read again next round.
        if (!(err instanceof StorageError && (err.code === 'NotFound' || err.code === 'Conflict'))) throw err;
      }
    }
  }
}
