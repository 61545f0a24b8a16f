/**
 * An in-memory ApiClient for unit tests of controllers, the scheduler and simulated nodes
 * (client-go's fake clientset with its object tracker): objects keyed by resource, namespace and
 * name; one resourceVersion counter; watches replay from a revision and see later writes; every
 * call is recorded as an action; reactors can fail chosen calls. Errors carry upstream's codes,
 * reasons and messages (built by src/api/errors.ts), as ApiStatusErrors.
 *
 * Modelled: generateName, uid, creationTimestamp, generation (bumped when spec changes), the
 * status subresource (PUT /status changes only status; a main PUT keeps the stored status),
 * optimistic concurrency on resourceVersion, finalizers (delete sets deletionTimestamp; the last
 * finalizer removed deletes), merge and JSON patch, pods/binding and pods/eviction, label and
 * field selectors, list pagination, compaction (watch or continue from before it: 410 Expired).
 * Not modelled: admission, validation, defaulting, strategic merge and apply patches, ownership
 * cascades (the garbage collector is a controller).
 */
import { randomUUID } from 'node:crypto';
import { alreadyExists, conflict, notFound, OPTIMISTIC_LOCK_MESSAGE, ApiError } from '../../api/errors.ts';
import { applyMergePatch } from '../../api/patch/merge-patch.ts';
import { applyJsonPatch } from '../../api/patch/json-patch.ts';
import type { JsonValue } from '../../api/patch/json-value.ts';
import { ApiStatusError, asApiStatusError } from './errors.ts';
import { SharedInformerFactory, type InformerFactoryOptions } from './informer.ts';
import { keyOf } from './keys.ts';
import { apiVersionOf } from './resources.ts';
import { matchesFields, matchesLabels } from './selectors.ts';
import type {
  ApiClient, ClientConfig, DeleteOptions, K8sObject, ListOptions, ListResult, PatchType, ResourceRef,
  WatchEvent, WatchHandle, WatchOptions, WriteOptions,
} from './types.ts';

export type FakeVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/** One recorded call, as client-go's testing.Action. */
export interface FakeAction {
  verb: FakeVerb;
  resource: ResourceRef;
  namespace: string;
  name: string;
  subresource?: string;
  /** The body sent (create, update, postSubresource) or the patch. */
  object?: unknown;
  patchType?: PatchType;
}

/** Returns an error to fail the call with, or undefined to let it through. */
export type FakeReactor = (a: FakeAction) => Error | undefined;

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

const clone = <T>(v: T): T => structuredClone(v);

function gr(r: ResourceRef): { group: string; resource: string } {
  return { group: r.group, resource: r.resource };
}

function expired(message: string): ApiStatusError {
  return new ApiStatusError(410, 'Expired', message);
}

export interface FakeApiClientOptions {
  /** Timestamps written into objects (creationTimestamp, deletionTimestamp). */
  now?: () => Date;
  config?: Partial<ClientConfig>;
}

export class FakeApiClient implements ApiClient {
  readonly config: ClientConfig;
  /** Every call made, in order. */
  readonly actions: FakeAction[] = [];
  private readonly objects = new Map<string, Map<string, K8sObject>>();
  private readonly history: StoredEvent[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly reactors: FakeReactor[] = [];
  private rev = 1;
  private compactedRev = 0;
  private readonly now: () => Date;

  constructor(opts: FakeApiClientOptions = {}) {
    this.now = opts.now ?? (() => new Date());
    this.config = { server: 'https://fake.invalid', identity: { caPem: '' }, userAgent: 'fake', ...opts.config };
  }

  /** Fails calls the reactor picks (first reactor with an answer wins), until removed. */
  addReactor(r: FakeReactor): () => void {
    this.reactors.push(r);
    return () => {
      const i = this.reactors.indexOf(r);
      if (i >= 0) this.reactors.splice(i, 1);
    };
  }

  /** Fails the next `times` calls of a verb on a resource with `err`. */
  failNext(verb: FakeVerb, resource: string, err: Error, times = 1): void {
    let left = times;
    const remove = this.addReactor((a) => {
      if (a.verb !== verb || a.resource.resource !== resource || left <= 0) return undefined;
      if (--left === 0) remove();
      return err;
    });
  }

  /** Puts an object in place without recording an action (test set-up); answers the stored copy. */
  seed<T extends K8sObject>(r: ResourceRef, obj: T): T {
    return clone(this.doCreate(r, obj.metadata.namespace ?? '', obj) as T);
  }

  /** The stored objects of a resource (copies). */
  stored<T extends K8sObject>(r: ResourceRef, namespace = ''): T[] {
    return this.select(r, namespace, {}).map((o) => clone(o as T));
  }

  /** Actions other than get/list/watch: what a controller wrote. */
  writes(): FakeAction[] {
    return this.actions.filter((a) => a.verb !== 'get' && a.verb !== 'list' && a.verb !== 'watch');
  }

  /** The current resourceVersion counter. */
  currentRevision(): number {
    return this.rev;
  }

  /** Forgets history up to `rev`: watches and continue tokens from before it answer 410 Expired. */
  compact(rev = this.rev): void {
    this.compactedRev = rev;
    while (this.history.length > 0 && this.history[0].rev <= rev) this.history.shift();
  }

  /** Ends every open watch as a broken connection would (watchers see onClose(err)). */
  breakWatches(err: Error = new Error('connection reset')): void {
    for (const w of [...this.watchers]) this.endWatch(w, err);
  }

  private record(a: FakeAction): void {
    this.actions.push(a);
    for (const r of this.reactors) {
      const err = r(a);
      if (err) throw asApiStatusError(err);
    }
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

  private must(r: ResourceRef, namespace: string, name: string): K8sObject {
    const o = this.bucket(r).get(keyOf(r.namespaced ? namespace : '', name));
    if (!o) throw asApiStatusError(notFound(gr(r), name));
    return o;
  }

  private select(r: ResourceRef, namespace: string, opts: { labelSelector?: string; fieldSelector?: string }): K8sObject[] {
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

  private doCreate(r: ResourceRef, namespace: string, obj: K8sObject): K8sObject {
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
    meta.creationTimestamp = this.now().toISOString().replace(/\.\d+Z$/, 'Z');
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

  private doUpdate(r: ResourceRef, namespace: string, obj: K8sObject, subresource?: string): K8sObject {
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
      throw new ApiStatusError(404, 'NotFound', `the fake client does not model the subresource ${r.resource}/${subresource}`);
    } else {
      next = clone(obj);
      if (prev.status !== undefined) next.status = clone(prev.status);
      else delete next.status;
    }
    return this.replace(r, prev, next);
  }

  private doDelete(r: ResourceRef, namespace: string, name: string, opts?: DeleteOptions): void {
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
      next.metadata.deletionTimestamp = this.now().toISOString().replace(/\.\d+Z$/, 'Z');
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

  async get<T extends K8sObject>(r: ResourceRef, namespace: string, name: string, subresource?: string): Promise<T> {
    this.record({ verb: 'get', resource: r, namespace, name, subresource });
    return clone(this.must(r, namespace, name) as T);
  }

  async list<T extends K8sObject>(r: ResourceRef, namespace: string, opts: ListOptions = {}): Promise<ListResult<T>> {
    this.record({ verb: 'list', resource: r, namespace, name: '', object: opts });
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

  watch<T extends K8sObject>(r: ResourceRef, namespace: string, opts: WatchOptions, onEvent: (e: WatchEvent<T>) => void, onClose: (err?: Error) => void): WatchHandle {
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
    try {
      this.record({ verb: 'watch', resource: r, namespace, name: '', object: opts });
    } catch (err) {
      this.endWatch(w, err as Error);
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

  async create<T extends K8sObject>(r: ResourceRef, namespace: string, obj: T, opts?: WriteOptions): Promise<T> {
    this.record({ verb: 'create', resource: r, namespace, name: obj.metadata?.name ?? '', object: clone(obj) });
    if (opts?.dryRun) return clone(obj);
    return clone(this.doCreate(r, namespace, obj) as T);
  }

  async update<T extends K8sObject>(r: ResourceRef, namespace: string, obj: T, subresource?: string, opts?: WriteOptions): Promise<T> {
    this.record({ verb: 'update', resource: r, namespace, name: obj.metadata?.name ?? '', subresource, object: clone(obj) });
    if (opts?.dryRun) return clone(obj);
    return clone(this.doUpdate(r, namespace, obj, subresource) as T);
  }

  async patch<T extends K8sObject>(r: ResourceRef, namespace: string, name: string, type: PatchType, patch: unknown, subresource?: string, opts?: WriteOptions): Promise<T> {
    this.record({ verb: 'patch', resource: r, namespace, name, subresource, object: clone(patch), patchType: type });
    const prev = this.must(r, namespace, name);
    let patched: K8sObject;
    try {
      if (type === 'merge') patched = applyMergePatch(prev as JsonValue, patch as JsonValue) as K8sObject;
      else if (type === 'json') patched = applyJsonPatch(clone(prev) as JsonValue, patch as JsonValue) as K8sObject;
      else throw new ApiStatusError(415, 'UnsupportedMediaType', `the fake client applies merge and json patches only, not ${type}`);
    } catch (err) {
      throw err instanceof ApiError ? asApiStatusError(err) : err;
    }
    if (opts?.dryRun) return patched as T;
    // A patch carrying a resourceVersion is a precondition, as upstream.
    return clone(this.doUpdate(r, namespace, patched, subresource) as T);
  }

  async delete(r: ResourceRef, namespace: string, name: string, opts?: DeleteOptions): Promise<void> {
    this.record({ verb: 'delete', resource: r, namespace, name, object: opts });
    if (opts?.dryRun) {
      this.must(r, namespace, name);
      return;
    }
    this.doDelete(r, namespace, name, opts);
  }

  async deleteCollection(r: ResourceRef, namespace: string, opts: DeleteOptions & Pick<ListOptions, 'labelSelector' | 'fieldSelector'> = {}): Promise<void> {
    const { labelSelector, fieldSelector, ...del } = opts;
    this.record({ verb: 'deletecollection', resource: r, namespace, name: '', object: opts });
    for (const o of this.select(r, namespace, { labelSelector, fieldSelector })) {
      if (!del.dryRun) this.doDelete(r, o.metadata.namespace ?? '', o.metadata.name ?? '', del);
    }
  }

  async postSubresource<T extends K8sObject>(r: ResourceRef, namespace: string, name: string, subresource: string, body: K8sObject): Promise<T> {
    this.record({ verb: 'create', resource: r, namespace, name, subresource, object: clone(body) });
    const target = `${r.group}/${r.resource}/${subresource}`;
    if (target === '/pods/binding') return this.bind(r, namespace, name, body) as unknown as T;
    if (target === '/pods/eviction') {
      this.doDelete(r, namespace, name, body.deleteOptions);
      return { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Success', code: 201 } as unknown as T;
    }
    throw new ApiStatusError(404, 'NotFound', `the fake client does not model the subresource ${r.resource}/${subresource}`);
  }

  /** pods/binding as the registry's BindingREST: sets spec.nodeName once. */
  private bind(r: ResourceRef, namespace: string, name: string, binding: K8sObject): K8sObject {
    const pod = this.must(r, namespace, name);
    const node = binding.target?.name;
    if (pod.metadata.deletionTimestamp) throw asApiStatusError(conflict(gr(r), name, 'pod is being deleted, cannot be assigned to a host'));
    if (pod.spec?.nodeName) throw asApiStatusError(conflict(gr(r), name, `pod ${name} is already assigned to node "${pod.spec.nodeName}"`));
    const next = clone(pod);
    next.spec = { ...next.spec, nodeName: node };
    next.status = { ...next.status, conditions: [...(next.status?.conditions ?? []).filter((c: { type: string }) => c.type !== 'PodScheduled'), { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: this.now().toISOString().replace(/\.\d+Z$/, 'Z') }] };
    this.replace(r, pod, next);
    return { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Success', code: 201 };
  }

  close(): void {
    for (const w of [...this.watchers]) this.endWatch(w);
  }
}

/** The real shared informers over a fake client: controllers' tests run what production runs. */
export function fakeInformerFactory(client: FakeApiClient, opts: Omit<InformerFactoryOptions, 'client'> = {}): SharedInformerFactory {
  return new SharedInformerFactory({ client, ...opts });
}
