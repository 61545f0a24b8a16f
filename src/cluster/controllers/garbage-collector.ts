import type { RestContext } from '../../server/rest/context.ts';
import type { WatchEvent } from '../../storage/types.ts';
import { FINALIZER_FOREGROUND, FINALIZER_ORPHAN } from '../../server/rest/delete.ts';
import { rfc3339 } from '../../api/time.ts';
import { mutate, withoutItem, type Obj } from './store-ops.ts';

/**
 * The garbage collector: ownerReferences drive deletion, as upstream's.
 *  - Background: when an owner is gone, dependents without any remaining owner are deleted.
 *  - Orphan: an owner carrying the `orphan` finalizer has its uid removed from its dependents'
 *    ownerReferences, then the finalizer removed.
 *  - Foreground: an owner carrying `foregroundDeletion` has its dependents deleted first (in the
 *    foreground too); the finalizer is removed once none is left.
 *
 * It keeps an index of every object by uid and of dependents by owner uid, fed by one watch over
 * all of /registry/. It runs in-process against the store (it does not yet go through the API
 * with its own identity).
 */
export function startGarbageCollector(ctx: RestContext): () => void {
  const byUid = new Map<string, string>(); // uid -> key
  const dependents = new Map<string, Set<string>>(); // owner uid -> dependent keys
  const objects = new Map<string, Obj>(); // key -> latest value
  const dirty = new Set<string>(); // owner uids to reconsider
  let stopped = false;
  let scheduled = false;

  const index = (key: string, o: Obj | undefined) => {
    const prev = objects.get(key);
    if (prev) {
      for (const r of prev.metadata.ownerReferences ?? []) dependents.get(r.uid)?.delete(key);
      if (prev.metadata.uid && byUid.get(prev.metadata.uid) === key) byUid.delete(prev.metadata.uid);
    }
    if (!o) {
      objects.delete(key);
      return;
    }
    objects.set(key, o);
    if (o.metadata.uid) byUid.set(o.metadata.uid, key);
    for (const r of o.metadata.ownerReferences ?? []) {
      let s = dependents.get(r.uid);
      if (!s) dependents.set(r.uid, (s = new Set()));
      s.add(key);
    }
  };

  const schedule = () => {
    if (scheduled || stopped) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      void process().catch((err) => ctx.log.error({ err }, 'garbage collector pass failed'));
    });
  };

  const process = async () => {
    const uids = [...dirty];
    dirty.clear();
    for (const uid of uids) await reconcile(uid);
  };

  const reconcile = async (ownerUid: string) => {
    const ownerKey = byUid.get(ownerUid);
    const owner = ownerKey ? objects.get(ownerKey) : undefined;
    const deps = [...(dependents.get(ownerUid) ?? [])];
    if (!owner) {
      // Background: the owner is gone.
      for (const k of deps) {
        const d = objects.get(k);
        if (!d) continue;
        const alive = (d.metadata.ownerReferences ?? []).filter((r: { uid: string }) => r.uid !== ownerUid && byUid.has(r.uid));
        if (alive.length > 0) {
          await mutate(ctx.store, k, (o) => ({ ...o, metadata: { ...o.metadata, ownerReferences: (o.metadata.ownerReferences ?? []).filter((r: { uid: string }) => r.uid !== ownerUid) } }));
        } else {
          await deleteDependent(k, false);
        }
      }
      return;
    }
    const fins: string[] = owner.metadata.finalizers ?? [];
    if (!owner.metadata.deletionTimestamp) return;
    if (fins.includes(FINALIZER_ORPHAN)) {
      for (const k of deps) {
        await mutate(ctx.store, k, (o) => {
          const refs = (o.metadata.ownerReferences ?? []).filter((r: { uid: string }) => r.uid !== ownerUid);
          const m = { ...o.metadata, ownerReferences: refs };
          if (refs.length === 0) delete m.ownerReferences;
          return { ...o, metadata: m };
        });
      }
      await mutate(ctx.store, ownerKey!, (o) => ({ ...o, metadata: { ...o.metadata, finalizers: withoutItem(o.metadata.finalizers, FINALIZER_ORPHAN) } }));
      return;
    }
    if (fins.includes(FINALIZER_FOREGROUND)) {
      const remaining = deps.filter((k) => objects.has(k));
      if (remaining.length === 0) {
        await mutate(ctx.store, ownerKey!, (o) => ({ ...o, metadata: { ...o.metadata, finalizers: withoutItem(o.metadata.finalizers, FINALIZER_FOREGROUND) } }));
        return;
      }
      for (const k of remaining) await deleteDependent(k, true);
    }
  };

  /** Deletes a dependent, honouring its own finalizers (and cascading in the foreground if asked). */
  const deleteDependent = async (key: string, foreground: boolean) => {
    await mutate(ctx.store, key, (o) => {
      if (o.metadata.deletionTimestamp) return undefined;
      const hasDeps = (dependents.get(o.metadata.uid)?.size ?? 0) > 0;
      const fins = [...(o.metadata.finalizers ?? [])];
      if (foreground && hasDeps && !fins.includes(FINALIZER_FOREGROUND)) fins.push(FINALIZER_FOREGROUND);
      if (fins.length === 0) return 'delete';
      return { ...o, metadata: { ...o.metadata, finalizers: fins, deletionTimestamp: rfc3339(ctx.now()), deletionGracePeriodSeconds: 0 } };
    });
  };

  const onEvent = (e: WatchEvent<Obj>) => {
    const o = e.value;
    if (e.type === 'DELETED') {
      index(e.key, undefined);
      if (o?.metadata?.uid) dirty.add(o.metadata.uid);
    } else {
      index(e.key, o);
      if (o.metadata.deletionTimestamp && o.metadata.uid) dirty.add(o.metadata.uid);
    }
    // A dependent that disappeared may unblock its foreground owners.
    for (const r of o?.metadata?.ownerReferences ?? []) dirty.add(r.uid);
    if (dirty.size > 0) schedule();
  };

  let watcher: { close(): void } | undefined;
  void (async () => {
    const all = await ctx.store.list<Obj>('/registry/');
    for (const item of all.items) {
      index(item.key, item.value);
      if (item.value.metadata?.deletionTimestamp) dirty.add(item.value.metadata.uid);
    }
    // Owners that vanished while we were down.
    for (const uid of dependents.keys()) if (!byUid.has(uid)) dirty.add(uid);
    if (stopped) return;
    watcher = ctx.store.watch<Obj>('/registry/', all.revision, { onEvent, onError: (err) => ctx.log.error({ err }, 'garbage collector watch failed') });
    schedule();
  })().catch((err) => ctx.log.error({ err }, 'garbage collector failed to start'));

  return () => {
    stopped = true;
    watcher?.close();
  };
}
