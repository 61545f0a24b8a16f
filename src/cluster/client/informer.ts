/**
 * Shared informers as client-go's reflector + indexer + shared informer: list (paginated, 500 a
 * page) at one revision, replace the cache with it (add/update/delete handlers see the
 * difference), then watch from that revision with bookmarks. A watch the server ends cleanly
 * (its timeout) is resumed from the last revision seen; a 410 Expired (on starting the watch or
 * as an ERROR event) or a broken watch leads to a relist, after an exponential backoff with jitter
 * when it keeps failing. Cached objects are deep-frozen and shared with every handler.
 */
import { isResourceExpired, ApiStatusError } from './errors.ts';
import { freezeDeep, keyOf, objectKey } from './keys.ts';
import { apiVersionOf } from './resources.ts';
import { backoffDelay, realTimers, type Timers } from './timers.ts';
import type { ApiClient, EventHandlers, Indexers, Informer, InformerFactory, K8sObject, ResourceRef, WatchEvent, WatchHandle } from './types.ts';

export interface InformerLog {
  warn(obj: unknown, msg?: string): void;
}

export interface InformerFactoryOptions {
  client: ApiClient;
  /** Namespace to cache ('' or absent: all). */
  namespace?: string;
  /**
   * Only objects matching these selectors (client-go's WithTweakListOptions): a node agent
   * caches its own pods only (spec.nodeName=<node>), as the Node authorizer expects of it.
   */
  fieldSelector?: string;
  labelSelector?: string;
  /** List page size (client-go's reflector: 500). */
  pageSize?: number;
  timers?: Timers;
  random?: () => number;
  log?: InformerLog;
  /** Backoff between failed lists/watches: first delay and cap (client-go: 800 ms, 30 s). */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /**
   * Applied to every object before it is cached and handed to handlers (client-go's
   * SetTransform / informers.WithTransform), e.g. stripManagedFields. It must not change the
   * object's namespace, name or resourceVersion, and must not mutate its argument.
   */
  transform?: (obj: K8sObject) => K8sObject;
}

const silent: InformerLog = { warn() {} };

/**
 * Drops metadata.managedFields, as kube-scheduler's pod informer and kube-controller-manager's
 * shared informers do ("Dropping `.metadata.managedFields` to improve memory usage"): no
 * controller here reads them, and they are most of a pod's size (~1.5 of a bound pod's 3.5 KB of
 * JSON, more parsed). A copy of the object and its metadata, the rest shared.
 */
export function stripManagedFields(obj: K8sObject): K8sObject {
  if (obj.metadata?.managedFields === undefined) return obj;
  const { managedFields: _, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

const identity = (o: K8sObject): K8sObject => o;

export const NAMESPACE_INDEX = 'namespace';

export class SharedInformer<T extends K8sObject> implements Informer<T> {
  readonly resource: ResourceRef;
  private readonly opts: Required<Omit<InformerFactoryOptions, 'namespace' | 'fieldSelector' | 'labelSelector'>> & { namespace: string; fieldSelector?: string; labelSelector?: string };
  private readonly items = new Map<string, T>();
  private readonly indexers = new Map<string, (obj: T) => string[]>();
  private readonly indices = new Map<string, Map<string, Bucket>>();
  private readonly handlers: EventHandlers<T>[] = [];
  private syncedFlag = false;
  private waiters: { resolve(): void; reject(e: Error): void }[] = [];
  private running = false;
  private stopped = false;
  private lastRv = '';
  private failures = 0;
  /** Bumped for every list or watch started, so callbacks of an abandoned one are ignored. */
  private session = 0;
  private watchHandle?: WatchHandle;
  private timer?: unknown;
  /** Lists made (the first and every relist): tests and metrics read it. */
  lists = 0;

  constructor(resource: ResourceRef, opts: InformerFactoryOptions) {
    this.resource = resource;
    this.opts = {
      client: opts.client,
      namespace: opts.namespace ?? '',
      fieldSelector: opts.fieldSelector,
      labelSelector: opts.labelSelector,
      pageSize: opts.pageSize ?? 500,
      timers: opts.timers ?? realTimers,
      random: opts.random ?? Math.random,
      log: opts.log ?? silent,
      backoffInitialMs: opts.backoffInitialMs ?? 800,
      backoffMaxMs: opts.backoffMaxMs ?? 30_000,
      transform: opts.transform ?? identity,
    };
    this.indexers.set(NAMESPACE_INDEX, (o) => [o.metadata.namespace ?? '']);
    this.indices.set(NAMESPACE_INDEX, new Map());
  }

  get(namespace: string, name: string): T | undefined {
    return this.items.get(keyOf(namespace, name));
  }

  /** By client-go's key ("ns/name" or "name"). */
  getByKey(key: string): T | undefined {
    return this.items.get(key);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  byIndex(index: string, value: string): T[] {
    const idx = this.indices.get(index);
    if (!idx) throw new Error(`informer ${this.resource.resource}: no index named ${JSON.stringify(index)}`);
    const b = idx.get(value);
    if (b === undefined) return [];
    return typeof b === 'string' ? [this.items.get(b) as T] : [...b].map((k) => this.items.get(k) as T);
  }

  addEventHandler(h: EventHandlers<T>): void {
    this.handlers.push(h);
    // As client-go: a handler added late first hears of every cached object as an add.
    for (const o of this.items.values()) this.call(() => h.add?.(o));
  }

  addIndexers(indexers: Indexers<T>): void {
    for (const [name, fn] of Object.entries(indexers)) {
      if (this.indexers.has(name)) throw new Error(`informer ${this.resource.resource}: index ${JSON.stringify(name)} already exists`);
      this.indexers.set(name, fn);
      const idx = new Map<string, Bucket>();
      this.indices.set(name, idx);
      for (const [key, o] of this.items) for (const v of fn(o)) addTo(idx, v, key);
    }
  }

  hasSynced(): boolean {
    return this.syncedFlag;
  }

  synced(): Promise<void> {
    if (this.syncedFlag) return Promise.resolve();
    if (this.stopped) return Promise.reject(new Error(`informer ${this.resource.resource} stopped before it synced`));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  run(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    void this.relist();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.session++;
    this.watchHandle?.close();
    if (this.timer !== undefined) this.opts.timers.clearTimeout(this.timer);
    const err = new Error(`informer ${this.resource.resource} stopped before it synced`);
    for (const w of this.waiters.splice(0)) w.reject(err);
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.opts.log.warn({ err, resource: this.resource.resource }, 'informer event handler threw');
    }
  }

  private retryLater(what: 'list' | 'watch', err: unknown): void {
    if (this.stopped) return;
    const delay = backoffDelay(this.failures++, this.opts.backoffInitialMs, this.opts.backoffMaxMs, this.opts.random);
    this.opts.log.warn({ err, resource: this.resource.resource, delayMs: Math.round(delay) }, `informer ${what} failed; retrying`);
    const session = this.session;
    this.timer = this.opts.timers.setTimeout(() => {
      this.timer = undefined;
      if (session !== this.session || this.stopped) return;
      if (what === 'list') void this.relist();
      else this.watch();
    }, delay);
  }

  private async relist(): Promise<void> {
    const session = ++this.session;
    this.watchHandle?.close();
    this.watchHandle = undefined;
    this.lists++;
    const fresh = new Map<string, T>();
    let rv = '';
    try {
      let cont: string | undefined;
      do {
        const page = await this.opts.client.list<T>(this.resource, this.opts.namespace, { limit: this.opts.pageSize, continue: cont, fieldSelector: this.opts.fieldSelector, labelSelector: this.opts.labelSelector });
        if (session !== this.session) return;
        for (const o of page.items) {
          // Items of a list carry no apiVersion/kind; restore them so handlers see whole objects.
          const item = freezeDeep(this.opts.transform({ apiVersion: apiVersionOf(this.resource), kind: this.resource.kind, ...o }) as T);
          fresh.set(objectKey(item), item);
        }
        rv = page.metadata.resourceVersion;
        cont = page.metadata.continue || undefined;
      } while (cont);
    } catch (err) {
      if (session !== this.session) return;
      // An expired continue token restarts the whole list (at a new revision), as the pager does.
      this.retryLater('list', err);
      return;
    }
    this.failures = 0;
    this.replace(fresh, rv);
    this.watch();
  }

  /** Replace semantics: the cache becomes `fresh`; handlers hear of every difference. */
  private replace(fresh: Map<string, T>, rv: string): void {
    this.lastRv = rv;
    for (const [key, old] of [...this.items]) if (!fresh.has(key)) this.remove(key, old);
    for (const [key, o] of fresh) this.upsert(key, o);
    if (!this.syncedFlag) {
      this.syncedFlag = true;
      for (const w of this.waiters.splice(0)) w.resolve();
    }
  }

  private watch(): void {
    if (this.stopped) return;
    const session = ++this.session;
    let relist = false;
    let sawEvent = false;
    // client-go's reflector: a random timeout between 5 and 10 minutes spreads the re-watches.
    const timeoutSeconds = Math.floor(300 * (1 + this.opts.random()));
    const onEvent = (e: WatchEvent<T>): void => {
      if (session !== this.session) return;
      if (e.type === 'ERROR') {
        const s = e.object as unknown as { code?: number; reason?: string; message?: string };
        relist = true;
        if (s.code !== 410) this.opts.log.warn({ status: e.object, resource: this.resource.resource }, 'watch ERROR event');
        return;
      }
      sawEvent = true;
      const rv = e.object?.metadata?.resourceVersion;
      if (rv) this.lastRv = rv;
      if (e.type === 'BOOKMARK') return;
      const o = freezeDeep(this.opts.transform(e.object) as T);
      const key = objectKey(o);
      if (e.type === 'DELETED') {
        const old = this.items.get(key);
        if (old) this.remove(key, o);
      } else {
        this.upsert(key, o);
      }
    };
    const onClose = (err?: Error): void => {
      if (session !== this.session || this.stopped) return;
      this.watchHandle = undefined;
      if (sawEvent) this.failures = 0;
      if (relist || isResourceExpired(err)) {
        // The revision we hold is gone from the server's history: only a new list can catch up.
        if (this.failures === 0 && !err) this.failures = 1;
        this.retryLater('list', err ?? new ApiStatusError(410, 'Expired', 'watch ended with an ERROR event'));
      } else if (err) {
        this.retryLater('list', err);
      } else if (!sawEvent) {
        // Ended cleanly without a single event (not even a bookmark): client-go's "very short
        // watch"; resume after a backoff so a server or proxy that ends every watch at once
        // does not get a tight loop of them.
        this.retryLater('watch', new Error('watch ended without any event'));
      } else {
        // The server's timeout: resume from the last revision seen, no relist needed.
        this.watch();
      }
    };
    this.watchHandle = this.opts.client.watch<T>(this.resource, this.opts.namespace, { resourceVersion: this.lastRv, allowWatchBookmarks: true, timeoutSeconds, fieldSelector: this.opts.fieldSelector, labelSelector: this.opts.labelSelector }, onEvent, onClose);
  }

  private upsert(key: string, o: T): void {
    const old = this.items.get(key);
    if (old && old.metadata.resourceVersion === o.metadata.resourceVersion) return;
    if (old) this.unindex(key, old);
    this.items.set(key, o);
    this.index(key, o);
    for (const h of this.handlers) this.call(() => (old ? h.update?.(old, o) : h.add?.(o)));
  }

  private remove(key: string, last: T): void {
    const old = this.items.get(key);
    if (!old) return;
    this.unindex(key, old);
    this.items.delete(key);
    for (const h of this.handlers) this.call(() => h.delete?.(last));
  }

  private index(key: string, o: T): void {
    for (const [name, fn] of this.indexers) {
      const idx = this.indices.get(name) as Map<string, Bucket>;
      for (const v of fn(o)) addTo(idx, v, key);
    }
  }

  private unindex(key: string, o: T): void {
    for (const [name, fn] of this.indexers) {
      const idx = this.indices.get(name) as Map<string, Bucket>;
      for (const v of fn(o)) removeFrom(idx, v, key);
    }
  }
}

/**
 * An index value's object keys: the key itself while it is the only one (most values of an index
 * by uid, address or name are), a Set from the second on. A Set of one costs ~200 bytes a value; a
 * key is the informer's own string. Iteration order is insertion order either way.
 */
type Bucket = string | Set<string>;

function addTo(idx: Map<string, Bucket>, value: string, key: string): void {
  const b = idx.get(value);
  if (b === undefined) idx.set(value, key);
  else if (typeof b !== 'string') b.add(key);
  else if (b !== key) idx.set(value, new Set([b, key]));
}

function removeFrom(idx: Map<string, Bucket>, value: string, key: string): void {
  const b = idx.get(value);
  if (b === undefined) return;
  if (typeof b === 'string') {
    if (b === key) idx.delete(value);
    return;
  }
  b.delete(key);
  if (b.size <= 1) {
    const [only] = b;
    if (only === undefined) idx.delete(value);
    else idx.set(value, only);
  }
}

/** Indexers the scheduler and the workload controllers share. */
export const byNodeName = (o: K8sObject): string[] => (o.spec?.nodeName ? [String(o.spec.nodeName)] : []);
export const byOwnerUid = (o: K8sObject): string[] => (o.metadata.ownerReferences ?? []).map((r: { uid: string }) => r.uid);

/** One informer per resource; informers asked for after start() start at once. */
export class SharedInformerFactory implements InformerFactory {
  private readonly opts: InformerFactoryOptions;
  private readonly informers = new Map<string, SharedInformer<K8sObject>>();
  private started = false;
  private stopped = false;

  constructor(opts: InformerFactoryOptions) {
    this.opts = opts;
  }

  informer<T extends K8sObject>(r: ResourceRef): SharedInformer<T> {
    const key = `${r.group}/${r.resource}`;
    let inf = this.informers.get(key);
    if (!inf) {
      if (this.stopped) throw new Error('informer factory is stopped');
      inf = new SharedInformer<K8sObject>(r, this.opts);
      this.informers.set(key, inf);
      if (this.started) inf.run();
    }
    return inf as unknown as SharedInformer<T>;
  }

  start(): void {
    if (this.stopped) return;
    this.started = true;
    for (const inf of this.informers.values()) inf.run();
  }

  /** Resolves once every informer asked for so far has synced. */
  async waitForCacheSync(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.synced()));
  }

  stop(): void {
    this.stopped = true;
    for (const inf of this.informers.values()) inf.stop();
  }
}
