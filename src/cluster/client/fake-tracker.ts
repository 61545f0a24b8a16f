/**
 * The object store behind FakeApiClient (client-go's testing.ObjectTracker): objects keyed by
 * resource, namespace and name; one resourceVersion counter; the event history watches replay
 * from, with compaction; and what the registry does on each write (uid, creationTimestamp,
 * generation, the status subresource, optimistic concurrency, finalizers, pods/binding). It lives
 * apart from the client so that recording actions and reacting to them (fake.ts) stays separate
 * from what a write does to the stored state. Errors are upstream's, as ApiStatusErrors.
 */
import { randomUUID } from 'node:crypto';
import { alreadyExists, conflict, notFound, OPTIMISTIC_LOCK_MESSAGE } from '../../api/errors.ts';
import { ApiStatusError, asApiStatusError } from './errors.ts';
import { keyOf } from './keys.ts';
import { apiVersionOf } from './resources.ts';
import { matchesFields, matchesLabels } from './selectors.ts';
import type { DeleteOptions, K8sObject, ListOptions, ListResult, ResourceRef, WatchEvent, WatchHandle, WatchOptions } from './types.ts';

interface StoredEvent {
  rev: number;
  bucket: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: K8sObject;
}

interface Watcher {
  bucket: string;
  namespace: string;
  opts: WatchOptions;
  onEvent: (e: WatchEvent<K8sObject>) => void;
  onClose: (err?: Error) => void;
  closed: boolean;
}

/** The history a watch can resume from; older revisions answer 410 as after a compaction. */
const MAX_HISTORY = 10_000;

export const clone = <T>(v: T): T => structuredClone(v);

function gr(r: ResourceRef): { group: string; resource: string } {
  return { group: r.group, resource: r.resource };
}

function expired(message: string): ApiStatusError {
  return new ApiStatusError(410, 'Expired', message);
}

export function unmodelledSubresource(r: ResourceRef, subresource: string): ApiStatusError {
  return new ApiStatusError(404, 'NotFound', `the fake client does not model the subresource ${r.resource}/${subresource}`);
}

export class FakeTracker {
  private readonly objects = new Map<string, Map<string, K8sObject>>();
  private readonly history: StoredEvent[] = [];
  private readonly watchers = new Set<Watcher>();
  private rev = 1;
  private compactedRev = 0;
  private readonly now: () => Date;

  constructor(now: () => Date) {
    this.now = now;
  }

  /** The current resourceVersion counter. */
  revision(): number {
    return this.rev;
  }

  /** Forgets history up to `rev`: watches and continue tokens from before it answer 410 Expired. */
  compact(rev = this.rev): void {
    this.compactedRev = rev;
    while (this.history.length > 0 && this.history[0].rev <= rev) this.history.shift();
  }

  /** Ends every open watch, with `err` as a broken connection or without as a closed client. */
  endWatches(err?: Error): void {
    for (const w of [...this.watchers]) this.endWatch(w, err);
  }

  private bucketOf(r: ResourceRef): string {
    return `${r.group}/${r.resource}`;
  }

  private bucket(r: ResourceRef): Map<string, K8sObject> {
    const b = this.bucketOf(r);
    let m = this.objects.get(b);
    if (!m) this.objects.set(b, (m = new Map()));
    return m;
  }

  /** The stored object itself (callers copy it), or NotFound. */
  must(r: ResourceRef, namespace: string, name: string): K8sObject {
    const o = this.bucket(r).get(keyOf(r.namespaced ? namespace : '', name));
    if (!o) throw asApiStatusError(notFound(gr(r), name));
    return o;
  }

  /** The stored objects (not copies) in key order that match the namespace and selectors. */
  select(r: ResourceRef, namespace: string, opts: { labelSelector?: string; fieldSelector?: string }): K8sObject[] {
    return [...this.bucket(r).entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => o)
      .filter((o) => (!namespace || o.metadata.namespace === namespace) && matchesLabels(opts.labelSelector, o.metadata.labels) && matchesFields(opts.fieldSelector, o));
  }

  private emit(r: ResourceRef, type: StoredEvent['type'], object: K8sObject): void {
    const ev: StoredEvent = { rev: Number(object.metadata.resourceVersion), bucket: this.bucketOf(r), type, object: clone(object) };
    this.history.push(ev);
    if (this.history.length > MAX_HISTORY) this.compact(this.history[0].rev);
    for (const w of this.watchers) this.deliver(w, ev);
  }

  private deliver(w: Watcher, ev: StoredEvent): void {
    if (ev.bucket !== w.bucket || (w.namespace && ev.object.metadata.namespace !== w.namespace)) return;
    if (!matchesLabels(w.opts.labelSelector, ev.object.metadata.labels) || !matchesFields(w.opts.fieldSelector, ev.object)) return;
    const object = clone(ev.object);
    // Asynchronous as over a network: a handler never runs inside the writer's call.
    queueMicrotask(() => {
      if (!w.closed) w.onEvent({ type: ev.type, object });
    });
  }

  private endWatch(w: Watcher, err?: Error): void {
    if (w.closed) return;
    this.watchers.delete(w);
    queueMicrotask(() => {
      if (w.closed) return;
      w.closed = true;
      w.onClose(err);
    });
  }

  private nextRev(): string {
    return String(++this.rev);
  }

  private timestamp(): string {
    return this.now().toISOString().replace(/\.\d+Z$/, 'Z');
  }

  /** Stores a new object (the stored object itself is answered; callers copy it). */
  create(r: ResourceRef, namespace: string, obj: K8sObject): K8sObject {
    const o = clone(obj);
    const meta = o.metadata ?? (o.metadata = {});
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${Math.random().toString(36).slice(2, 7)}`;
    const name = meta.name ?? '';
    if (r.namespaced) meta.namespace = namespace || meta.namespace;
    else delete meta.namespace;
    const key = keyOf(meta.namespace, name);
    if (this.bucket(r).has(key)) throw asApiStatusError(alreadyExists(gr(r), name));
    o.apiVersion = apiVersionOf(r);
    o.kind = r.kind;
    meta.uid = randomUUID();
    meta.creationTimestamp = this.timestamp();
    meta.generation = 1;
    meta.resourceVersion = this.nextRev();
    this.bucket(r).set(key, o);
    this.emit(r, 'ADDED', o);
    return o;
  }

  /** Stores `next` in place of `prev` (same key), or deletes it when it is finalized. */
  private replace(r: ResourceRef, prev: K8sObject, next: K8sObject): K8sObject {
    const meta = next.metadata;
    meta.uid = prev.metadata.uid;
    meta.creationTimestamp = prev.metadata.creationTimestamp;
    meta.name = prev.metadata.name;
    if (prev.metadata.namespace) meta.namespace = prev.metadata.namespace;
    if (prev.metadata.deletionTimestamp) meta.deletionTimestamp = prev.metadata.deletionTimestamp;
    meta.generation = prev.metadata.generation ?? 1;
    if (JSON.stringify(next.spec) !== JSON.stringify(prev.spec)) meta.generation += 1;
    next.apiVersion = prev.apiVersion;
    next.kind = prev.kind;
    meta.resourceVersion = this.nextRev();
    const key = keyOf(meta.namespace, meta.name ?? '');
    if (meta.deletionTimestamp && !(meta.finalizers?.length)) {
      this.bucket(r).delete(key);
      this.emit(r, 'DELETED', next);
      return next;
    }
    this.bucket(r).set(key, next);
    this.emit(r, 'MODIFIED', next);
    return next;
  }

  /** A PUT of the object or of its status (or namespaces/finalize) subresource. */
  update(r: ResourceRef, namespace: string, obj: K8sObject, subresource?: string): K8sObject {
    const name = obj.metadata?.name ?? '';
    const prev = this.must(r, namespace, name);
    const rv = obj.metadata?.resourceVersion;
    if (rv && rv !== prev.metadata.resourceVersion) throw asApiStatusError(conflict(gr(r), name, OPTIMISTIC_LOCK_MESSAGE));
    let next: K8sObject;
    if (subresource === 'status') {
      next = clone(prev);
      next.status = clone(obj.status);
    } else if (subresource === 'finalize' && r.group === '' && r.resource === 'namespaces') {
      // namespaces/finalize changes spec.finalizers only.
      next = clone(prev);
      next.spec = { ...next.spec, finalizers: clone(obj.spec?.finalizers ?? []) };
    } else if (subresource) {
      throw unmodelledSubresource(r, subresource);
    } else {
      next = clone(obj);
      if (prev.status !== undefined) next.status = clone(prev.status);
      else delete next.status;
    }
    return this.replace(r, prev, next);
  }

  /** A DELETE: preconditions, then finalizers (and foreground deletion) or removal. */
  delete(r: ResourceRef, namespace: string, name: string, opts?: DeleteOptions): void {
    const prev = this.must(r, namespace, name);
    const pre = opts?.preconditions;
    if (pre?.uid && pre.uid !== prev.metadata.uid) {
      throw asApiStatusError(conflict(gr(r), name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${prev.metadata.uid}`));
    }
    if (pre?.resourceVersion && pre.resourceVersion !== prev.metadata.resourceVersion) {
      throw asApiStatusError(conflict(gr(r), name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${prev.metadata.resourceVersion}`));
    }
    if (prev.metadata.finalizers?.length || (opts?.propagationPolicy === 'Foreground')) {
      if (prev.metadata.deletionTimestamp) return;
      const next = clone(prev);
      next.metadata.deletionTimestamp = this.timestamp();
      next.metadata.deletionGracePeriodSeconds = 0;
      if (opts?.propagationPolicy === 'Foreground') next.metadata.finalizers = [...new Set([...(next.metadata.finalizers ?? []), 'foregroundDeletion'])];
      this.replace(r, prev, next);
      return;
    }
    this.bucket(r).delete(keyOf(prev.metadata.namespace, name));
    const gone = clone(prev);
    gone.metadata.resourceVersion = this.nextRev();
    this.emit(r, 'DELETED', gone);
  }

  /** pods/binding as the registry's BindingREST: sets spec.nodeName once. */
  bind(r: ResourceRef, namespace: string, name: string, binding: K8sObject): K8sObject {
    const pod = this.must(r, namespace, name);
    const node = binding.target?.name;
    if (pod.metadata.deletionTimestamp) throw asApiStatusError(conflict(gr(r), name, 'pod is being deleted, cannot be assigned to a host'));
    if (pod.spec?.nodeName) throw asApiStatusError(conflict(gr(r), name, `pod ${name} is already assigned to node "${pod.spec.nodeName}"`));
    const next = clone(pod);
    next.spec = { ...next.spec, nodeName: node };
    next.status = { ...next.status, conditions: [...(next.status?.conditions ?? []).filter((c: { type: string }) => c.type !== 'PodScheduled'), { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: this.timestamp() }] };
    this.replace(r, pod, next);
    return { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Success', code: 201 };
  }

  /** A page of copies, with continue tokens `<rev>:<offset>` that expire with compaction. */
  list<T extends K8sObject>(r: ResourceRef, namespace: string, opts: ListOptions): ListResult<T> {
    let start = 0;
    let rev = this.rev;
    if (opts.continue) {
      const [at, from] = opts.continue.split(':').map(Number);
      if (at < this.compactedRev) throw expired('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
      start = from;
      rev = at;
    }
    // Pages after the first are read at the current state, not at `rev` (the fake keeps no
    // snapshots); tests that page do not write in between.
    const all = this.select(r, namespace, opts);
    const end = opts.limit && opts.limit > 0 ? Math.min(all.length, start + opts.limit) : all.length;
    const more = end < all.length;
    return {
      items: all.slice(start, end).map((o) => clone(o as T)),
      metadata: { resourceVersion: String(rev), ...(more ? { continue: `${rev}:${end}`, remainingItemCount: all.length - end } : {}) },
    };
  }

  /**
   * A watch from opts.resourceVersion (or now): the history after it replayed, then later writes.
   * `refused` (a reactor's error) ends it at once with that error.
   */
  watch<T extends K8sObject>(r: ResourceRef, namespace: string, opts: WatchOptions, onEvent: (e: WatchEvent<T>) => void, onClose: (err?: Error) => void, refused?: Error): WatchHandle {
    const w: Watcher = { bucket: this.bucketOf(r), namespace, opts, onEvent: onEvent as Watcher['onEvent'], onClose, closed: false };
    // As the REST client: closing the handle ends the watch; onClose runs once, without error.
    const handle = {
      close: () => {
        if (w.closed) return;
        w.closed = true;
        this.watchers.delete(w);
        queueMicrotask(() => onClose());
      },
    };
    if (refused) {
      this.endWatch(w, refused);
      return handle;
    }
    const from = Number(opts.resourceVersion || this.rev);
    if (from < this.compactedRev) {
      // As the watch cache answers a watch from a compacted revision: an ERROR event, then the end.
      const status = expired(`too old resource version: ${from} (${this.compactedRev})`).toStatus();
      queueMicrotask(() => {
        if (!w.closed) w.onEvent({ type: 'ERROR', object: status as unknown as K8sObject });
      });
      this.endWatch(w);
      return handle;
    }
    this.watchers.add(w);
    for (const ev of this.history) if (ev.rev > from) this.deliver(w, ev);
    return handle;
  }
}
