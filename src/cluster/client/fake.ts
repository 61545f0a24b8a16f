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
 *
 * This file is the client side (actions, reactors, dry runs, patches); the stored state and what
 * each write does to it are fake-tracker.ts.
 */
import { ApiError } from '../../api/errors.ts';
import { applyMergePatch } from '../../api/patch/merge-patch.ts';
import { applyJsonPatch } from '../../api/patch/json-patch.ts';
import type { JsonValue } from '../../api/patch/json-value.ts';
import { ApiStatusError, asApiStatusError } from './errors.ts';
import { clone, FakeTracker, unmodelledSubresource } from './fake-tracker.ts';
import { SharedInformerFactory, type InformerFactoryOptions } from './informer.ts';
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

export interface FakeApiClientOptions {
  /** Timestamps written into objects (creationTimestamp, deletionTimestamp). */
  now?: () => Date;
  config?: Partial<ClientConfig>;
}

export class FakeApiClient implements ApiClient {
  readonly config: ClientConfig;
  /** Every call made, in order. */
  readonly actions: FakeAction[] = [];
  private readonly reactors: FakeReactor[] = [];
  private readonly tracker: FakeTracker;

  constructor(opts: FakeApiClientOptions = {}) {
    this.tracker = new FakeTracker(opts.now ?? (() => new Date()));
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
    return clone(this.tracker.create(r, obj.metadata.namespace ?? '', obj) as T);
  }

  /** The stored objects of a resource (copies). */
  stored<T extends K8sObject>(r: ResourceRef, namespace = ''): T[] {
    return this.tracker.select(r, namespace, {}).map((o) => clone(o as T));
  }

  /** Actions other than get/list/watch: what a controller wrote. */
  writes(): FakeAction[] {
    return this.actions.filter((a) => a.verb !== 'get' && a.verb !== 'list' && a.verb !== 'watch');
  }

  /** The current resourceVersion counter. */
  currentRevision(): number {
    return this.tracker.revision();
  }

  /** Forgets history up to `rev`: watches and continue tokens from before it answer 410 Expired. */
  compact(rev?: number): void {
    this.tracker.compact(rev);
  }

  /** Ends every open watch as a broken connection would (watchers see onClose(err)). */
  breakWatches(err: Error = new Error('connection reset')): void {
    this.tracker.endWatches(err);
  }

  private record(a: FakeAction): void {
    this.actions.push(a);
    for (const r of this.reactors) {
      const err = r(a);
      if (err) throw asApiStatusError(err);
    }
  }

  async get<T extends K8sObject>(r: ResourceRef, namespace: string, name: string, subresource?: string): Promise<T> {
    this.record({ verb: 'get', resource: r, namespace, name, subresource });
    return clone(this.tracker.must(r, namespace, name) as T);
  }

  async list<T extends K8sObject>(r: ResourceRef, namespace: string, opts: ListOptions = {}): Promise<ListResult<T>> {
    this.record({ verb: 'list', resource: r, namespace, name: '', object: opts });
    return this.tracker.list<T>(r, namespace, opts);
  }

  watch<T extends K8sObject>(r: ResourceRef, namespace: string, opts: WatchOptions, onEvent: (e: WatchEvent<T>) => void, onClose: (err?: Error) => void): WatchHandle {
    let refused: Error | undefined;
    try {
      this.record({ verb: 'watch', resource: r, namespace, name: '', object: opts });
    } catch (err) {
      refused = err as Error;
    }
    return this.tracker.watch(r, namespace, opts, onEvent, onClose, refused);
  }

  async create<T extends K8sObject>(r: ResourceRef, namespace: string, obj: T, opts?: WriteOptions): Promise<T> {
    this.record({ verb: 'create', resource: r, namespace, name: obj.metadata?.name ?? '', object: clone(obj) });
    if (opts?.dryRun) return clone(obj);
    return clone(this.tracker.create(r, namespace, obj) as T);
  }

  async update<T extends K8sObject>(r: ResourceRef, namespace: string, obj: T, subresource?: string, opts?: WriteOptions): Promise<T> {
    this.record({ verb: 'update', resource: r, namespace, name: obj.metadata?.name ?? '', subresource, object: clone(obj) });
    if (opts?.dryRun) return clone(obj);
    return clone(this.tracker.update(r, namespace, obj, subresource) as T);
  }

  async patch<T extends K8sObject>(r: ResourceRef, namespace: string, name: string, type: PatchType, patch: unknown, subresource?: string, opts?: WriteOptions): Promise<T> {
    this.record({ verb: 'patch', resource: r, namespace, name, subresource, object: clone(patch), patchType: type });
    const prev = this.tracker.must(r, namespace, name);
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
    return clone(this.tracker.update(r, namespace, patched, subresource) as T);
  }

  async delete(r: ResourceRef, namespace: string, name: string, opts?: DeleteOptions): Promise<void> {
    this.record({ verb: 'delete', resource: r, namespace, name, object: opts });
    if (opts?.dryRun) {
      this.tracker.must(r, namespace, name);
      return;
    }
    this.tracker.delete(r, namespace, name, opts);
  }

  async deleteCollection(r: ResourceRef, namespace: string, opts: DeleteOptions & Pick<ListOptions, 'labelSelector' | 'fieldSelector'> = {}): Promise<void> {
    const { labelSelector, fieldSelector, ...del } = opts;
    this.record({ verb: 'deletecollection', resource: r, namespace, name: '', object: opts });
    for (const o of this.tracker.select(r, namespace, { labelSelector, fieldSelector })) {
      if (!del.dryRun) this.tracker.delete(r, o.metadata.namespace ?? '', o.metadata.name ?? '', del);
    }
  }

  async postSubresource<T extends K8sObject>(r: ResourceRef, namespace: string, name: string, subresource: string, body: K8sObject): Promise<T> {
    this.record({ verb: 'create', resource: r, namespace, name, subresource, object: clone(body) });
    const target = `${r.group}/${r.resource}/${subresource}`;
    if (target === '/pods/binding') return this.tracker.bind(r, namespace, name, body) as unknown as T;
    if (target === '/pods/eviction') {
      this.tracker.delete(r, namespace, name, body.deleteOptions);
      return { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Success', code: 201 } as unknown as T;
    }
    throw unmodelledSubresource(r, subresource);
  }

  close(): void {
    this.tracker.endWatches();
  }
}

/** The real shared informers over a fake client: controllers' tests run what production runs. */
export function fakeInformerFactory(client: FakeApiClient, opts: Omit<InformerFactoryOptions, 'client'> = {}): SharedInformerFactory {
  return new SharedInformerFactory({ client, ...opts });
}
