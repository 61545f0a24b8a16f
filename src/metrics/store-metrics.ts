/**
 * Storage figures under upstream's names: etcd_request_duration_seconds{operation,type} for every
 * call the API server makes to its store (measured at the Store interface, so reads the watch
 * cache answers are included), apiserver_storage_objects{resource} counted when scraped, and
 * apiserver_storage_size_bytes{storage_cluster_id} when the store's size is known.
 */
import { Gauge } from 'prom-client';
import type { ResourceRegistry } from '../api/registry/registry.ts';
import { CUSTOM_RESOURCE_ROOT, listPrefix, REGISTRY_ROOT } from '../api/registry/resource-def.ts';
import type { ListOptions, ReadOptions, Store, WatchHandlers, WriteOptions } from '../storage/types.ts';
import type { ApiserverMetrics } from './apiserver-metrics.ts';

type Observer = { observe(v: number): void };

/** The resource a key or prefix is under, as upstream's type label: "pods", "deployments.apps". */
export function storeType(key: string): string {
  const custom = key.startsWith(CUSTOM_RESOURCE_ROOT);
  const start = custom ? CUSTOM_RESOURCE_ROOT.length : key.startsWith(REGISTRY_ROOT) ? REGISTRY_ROOT.length : -1;
  if (start < 0) return 'other';
  const g = key.indexOf('/', start);
  if (g < 0) return 'other';
  const r = key.indexOf('/', g + 1);
  const group = key.slice(start, g);
  const resource = key.slice(g + 1, r < 0 ? undefined : r);
  return group === 'core' && !custom ? resource : `${resource}.${group}`;
}

/** A Store that times each call it passes on. */
export class InstrumentedStore implements Store {
  readonly inner: Store;
  readonly #metrics: ApiserverMetrics;
  readonly #children = new Map<string, Observer>();

  constructor(inner: Store, metrics: ApiserverMetrics) {
    this.inner = inner;
    this.#metrics = metrics;
    if (inner.checkHealth) this.checkHealth = () => inner.checkHealth!();
  }

  checkHealth?: () => Promise<void>;

  async #time<T>(operation: string, key: string, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.#observer(operation, key).observe((performance.now() - t0) / 1000);
    }
  }

  #observer(operation: string, key: string): Observer {
    const type = storeType(key);
    const k = `${operation}\0${type}`;
    let o = this.#children.get(k);
    if (!o) {
      o = this.#metrics.m.storeDuration.labels(operation, type);
      // Types are bounded by the resources served; the cap only guards against odd keys.
      if (this.#children.size < 4096) this.#children.set(k, o);
    }
    return o;
  }

  currentRevision(): number {
    return this.inner.currentRevision();
  }
  compactedRevision(): number {
    return this.inner.compactedRevision();
  }
  get<T = unknown>(key: string, opts?: ReadOptions) {
    return this.#time('get', key, () => this.inner.get<T>(key, opts));
  }
  list<T = unknown>(prefix: string, opts?: ListOptions) {
    return this.#time('list', prefix, () => this.inner.list<T>(prefix, opts));
  }
  count(prefix: string) {
    return this.#time('count', prefix, () => this.inner.count(prefix));
  }
  create<T = unknown>(key: string, value: T, opts?: WriteOptions) {
    return this.#time('create', key, () => this.inner.create<T>(key, value, opts));
  }
  update<T = unknown>(key: string, value: T, expectedRevision: number, opts?: WriteOptions) {
    return this.#time('update', key, () => this.inner.update<T>(key, value, expectedRevision, opts));
  }
  delete<T = unknown>(key: string, expectedRevision?: number) {
    return this.#time('delete', key, () => this.inner.delete<T>(key, expectedRevision));
  }
  watch<T = unknown>(prefix: string, fromRevision: number, handlers: WatchHandlers<T>) {
    return this.inner.watch<T>(prefix, fromRevision, handlers);
  }
  compact(revision: number) {
    return this.inner.compact(revision);
  }
  close() {
    return this.inner.close();
  }
}

/**
 * apiserver_storage_objects{resource}, counted from the store at scrape time (upstream polls; a
 * count that fails is -1, as upstream reports it). Resources sharing one storage are counted once.
 */
export function registerObjectCounts(metrics: ApiserverMetrics, store: Store, registry: ResourceRegistry): void {
  new Gauge({
    name: 'apiserver_storage_objects',
    help: 'Number of stored objects at the time of last check split by kind. In case of a fetching error, the value will be -1.',
    labelNames: ['resource'],
    registers: [metrics.registry],
    async collect() {
      const prefixes = new Map<string, string>();
      for (const def of registry.all()) {
        if (def.virtual) continue;
        const prefix = listPrefix(def, '');
        if (!prefixes.has(prefix)) prefixes.set(prefix, def.group ? `${def.resource}.${def.group}` : def.resource);
      }
      this.reset();
      await Promise.all(
        [...prefixes].map(async ([prefix, resource]) => {
          let n: number;
          try {
            n = await store.count(prefix);
          } catch {
            n = -1;
          }
          this.set({ resource }, n);
        }),
      );
    },
  });
}

/** apiserver_storage_size_bytes: the database as allocated (SQLite's files, etcd's Status dbSize), read when scraped. */
export function registerStorageSize(metrics: ApiserverMetrics, clusterId: string, sizeBytes: () => number | Promise<number>): void {
  new Gauge({
    name: 'apiserver_storage_size_bytes',
    help: 'Size of the storage database file physically allocated in bytes.',
    labelNames: ['storage_cluster_id'],
    registers: [metrics.registry],
    async collect() {
      let n: number;
      try {
        n = await sizeBytes();
      } catch {
        n = -1;
      }
      this.set({ storage_cluster_id: clusterId }, n);
    },
  });
}
