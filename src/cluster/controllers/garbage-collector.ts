import type { RestContext } from '../../server/rest/context.ts';
import type { ListResult, WatchEvent } from '../../storage/types.ts';
import { reflect } from '../../storage/reflector.ts';
import { FINALIZER_FOREGROUND, FINALIZER_ORPHAN } from '../../server/rest/delete.ts';
import { rfc3339 } from '../../api/time.ts';
import { mutate, withoutItem, type Obj } from './store-ops.ts';
import { createKeyQueue, type KeyQueueOptions } from './key-queue.ts';

/**
 * The garbage collector: ownerReferences drive deletion, as upstream's.
 *  - Background: when an owner is gone, dependents without any remaining owner are deleted.
 *  - Orphan: an owner carrying the `orphan` finalizer has its uid removed from its dependents'
 *    ownerReferences, then the finalizer removed.
 *  - Foreground: an owner carrying `foregroundDeletion` has its dependents deleted first (in the
 *    foreground too); the finalizer is removed once none is left.
 *
 * It keeps an index of every object by uid and of dependents by owner uid, fed by one reflector
 * over all of /registry/ (relisting when the watch breaks). It runs in-process against the store
 * (it does not yet go through the API with its own identity).
 *
 * One bad object never stops it: a stored value that is not an object is logged by key and left
 * out of the index, and each owner uid is reconciled on its own, a failure retried with backoff.
 */
export function startGarbageCollector(ctx: RestContext, opts: KeyQueueOptions = {}): () => void {
  const byUid = new Map<string, string>(); // uid -> key
  const dependents = new Map<string, Set<string>>(); // owner uid -> dependent keys
  const objects = new Map<string, Obj>(); // key -> latest value

  const index = (key: string, o: Obj | undefined) => {
    const prev = objects.get(key);
    if (prev) {
      for (const r of ownerRefs(prev)) dependents.get(r.uid)?.delete(key);
      if (prev.metadata.uid && byUid.get(prev.metadata.uid) === key) byUid.delete(prev.metadata.uid);
    }
    if (!o) {
      objects.delete(key);
      return;
    }
    if (!isKubeObject(o)) {
      ctx.log.error({ key }, 'garbage collector: stored value is not a Kubernetes object; ignoring it');
      objects.delete(key);
      return;
    }
    objects.set(key, o);
    if (typeof o.metadata.uid === 'string' && o.metadata.uid) byUid.set(o.metadata.uid, key);
    for (const r of ownerRefs(o)) {
      let s = dependents.get(r.uid);
      if (!s) dependents.set(r.uid, (s = new Set()));
      s.add(key);
    }
  };

  const reconcile = async (ownerUid: string) => {
    const ownerKey = byUid.get(ownerUid);
    const owner = ownerKey ? objects.get(ownerKey) : undefined;
    const deps = [...(dependents.get(ownerUid) ?? [])];
    if (!owner) {
      // Background: the owner is gone.
      return eachDependent(deps, async (k) => {
        const d = objects.get(k);
        if (!d) return;
        const alive = ownerRefs(d).filter((r) => r.uid !== ownerUid && byUid.has(r.uid));
        if (alive.length > 0) {
          await mutate(ctx.store, k, (o) => ({ ...o, metadata: { ...o.metadata, ownerReferences: (o.metadata.ownerReferences ?? []).filter((r: { uid: string }) => r.uid !== ownerUid) } }));
        } else {
          await deleteDependent(k, false);
        }
      });
    }
    const fins: string[] = owner.metadata.finalizers ?? [];
    if (!owner.metadata.deletionTimestamp) return;
    if (fins.includes(FINALIZER_ORPHAN)) {
      await eachDependent(deps, (k) =>
        mutate(ctx.store, k, (o) => {
          const refs = (o.metadata.ownerReferences ?? []).filter((r: { uid: string }) => r.uid !== ownerUid);
          const m = { ...o.metadata, ownerReferences: refs };
          if (refs.length === 0) delete m.ownerReferences;
          return { ...o, metadata: m };
        }),
      );
      await mutate(ctx.store, ownerKey!, (o) => ({ ...o, metadata: { ...o.metadata, finalizers: withoutItem(o.metadata.finalizers, FINALIZER_ORPHAN) } }));
      return;
    }
    if (fins.includes(FINALIZER_FOREGROUND)) {
      const remaining = deps.filter((k) => objects.has(k));
      if (remaining.length === 0) {
        await mutate(ctx.store, ownerKey!, (o) => ({ ...o, metadata: { ...o.metadata, finalizers: withoutItem(o.metadata.finalizers, FINALIZER_FOREGROUND) } }));
        return;
      }
      await eachDependent(remaining, (k) => deleteDependent(k, true));
    }
  };

  /** Runs `fn` for every dependent; one that fails does not stop the others, and the failure is reported once all ran. */
  const eachDependent = async (keys: string[], fn: (key: string) => Promise<void>) => {
    const failed: Array<{ key: string; err: unknown }> = [];
    for (const key of keys) {
      try {
        await fn(key);
      } catch (err) {
        failed.push({ key, err });
      }
    }
    if (failed.length > 0) throw new AggregateError(failed.map((f) => f.err), `cannot process dependents ${failed.map((f) => f.key).join(', ')}`);
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

  const queue = createKeyQueue('garbage collector', (uid) => reconcile(uid), ctx.log, opts);
  const dirty = (uid: unknown) => {
    if (typeof uid === 'string' && uid !== '') queue.add(uid);
  };

  const onEvent = (e: WatchEvent<Obj>) => {
    const o = isKubeObject(e.value) ? e.value : undefined;
    if (e.type === 'DELETED') {
      index(e.key, undefined);
      dirty(o?.metadata.uid);
    } else {
      index(e.key, e.value);
      if (o?.metadata.deletionTimestamp) dirty(o.metadata.uid);
    }
    // A dependent that disappeared may unblock its foreground owners.
    for (const r of ownerRefs(o)) dirty(r.uid);
  };

  const replace = (lists: ListResult[]) => {
    byUid.clear();
    dependents.clear();
    objects.clear();
    for (const item of lists[0]?.items ?? []) {
      const v = item.value as Obj;
      index(item.key, v);
      if (isKubeObject(v) && v.metadata.deletionTimestamp) dirty(v.metadata.uid);
    }
    // Owners that vanished while we were not watching.
    for (const uid of dependents.keys()) if (!byUid.has(uid)) dirty(uid);
  };

  const reflection = reflect(
    ctx.store,
    ['/registry/'],
    {
      replace,
      event: (_i, e) => {
        try {
          onEvent(e as WatchEvent<Obj>);
        } catch (err) {
          ctx.log.error({ err, key: e.key }, 'garbage collector: cannot process an event; ignoring it');
        }
      },
    },
    { onError: (err) => ctx.log.error({ err }, 'garbage collector watch failed; relisting') },
  );

  return () => {
    reflection.stop();
    queue.stop();
  };
}

function isKubeObject(v: unknown): v is Obj {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const m = (v as Obj).metadata;
  return m !== null && typeof m === 'object' && !Array.isArray(m);
}

/** ownerReferences that name a uid; anything else in the list is ignored. */
function ownerRefs(o: Obj | undefined): Array<{ uid: string }> {
  const refs = o?.metadata.ownerReferences;
  if (!Array.isArray(refs)) return [];
  return refs.filter((r): r is { uid: string } => r !== null && typeof r === 'object' && typeof r.uid === 'string');
}
