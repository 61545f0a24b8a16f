/**
 * A TTL for every key under a prefix, as upstream's registries give one with their TTLFunc: the
 * Event registry's returns --event-ttl on create and on update (registry/core/event/storage), so
 * every write of an Event (a series' count bump too) sets its expiry anew. The store below then
 * deletes the key when it passes (etcd: a lease; SQLite: sqlite-ttl.ts).
 *
 * Applied beneath the watch cache, on the backing store, so every writer of such keys gets it:
 * the REST handlers (POST, PUT, every PATCH, apply, a finalizer's update on delete) and the API
 * server's own Events alike. A write that names its own WriteOptions keeps them.
 */
import type { ListOptions, ReadOptions, Store, StoredObject, Watcher, WatchHandlers, WriteOptions } from './types.ts';
import { ttlOf } from './write-ttl.ts';

export interface KeyTtl {
  /** Key prefix, ending in '/'. */
  prefix: string;
  ttlSeconds: number;
}

/** `store` with `rules` applied; the store itself when no rule gives a TTL. */
export function withKeyTtl(store: Store, rules: KeyTtl[]): Store {
  const active = rules.filter((r) => ttlOf(r.prefix, r) > 0);
  for (const r of active) if (!r.prefix.endsWith('/')) throw new RangeError(`TTL prefix must end in '/': ${r.prefix}`);
  return active.length === 0 ? store : new KeyTtlStore(store, active);
}

class KeyTtlStore implements Store {
  private readonly inner: Store;
  private readonly rules: KeyTtl[];

  constructor(inner: Store, rules: KeyTtl[]) {
    this.inner = inner;
    this.rules = rules;
    // Only some stores have these; the cache above looks for them.
    if (inner.freshRevision) this.freshRevision = () => inner.freshRevision!();
    if (inner.requestWatchProgress) this.requestWatchProgress = () => inner.requestWatchProgress!();
    if (inner.checkHealth) this.checkHealth = () => inner.checkHealth!();
  }

  freshRevision?: () => Promise<number>;
  requestWatchProgress?: () => void;
  checkHealth?: () => Promise<void>;

  private options(key: string, given: WriteOptions | undefined): WriteOptions | undefined {
    if (given) return given;
    const rule = this.rules.find((r) => key.startsWith(r.prefix));
    return rule ? { ttlSeconds: rule.ttlSeconds } : undefined;
  }

  currentRevision(): number {
    return this.inner.currentRevision();
  }
  compactedRevision(): number {
    return this.inner.compactedRevision();
  }
  get<T = unknown>(key: string, opts?: ReadOptions): Promise<StoredObject<T> | undefined> {
    return this.inner.get<T>(key, opts);
  }
  list<T = unknown>(prefix: string, opts?: ListOptions) {
    return this.inner.list<T>(prefix, opts);
  }
  count(prefix: string): Promise<number> {
    return this.inner.count(prefix);
  }
  create<T = unknown>(key: string, value: T, opts?: WriteOptions): Promise<StoredObject<T>> {
    return this.inner.create<T>(key, value, this.options(key, opts));
  }
  update<T = unknown>(key: string, value: T, expectedRevision: number, opts?: WriteOptions): Promise<StoredObject<T>> {
    return this.inner.update<T>(key, value, expectedRevision, this.options(key, opts));
  }
  delete<T = unknown>(key: string, expectedRevision?: number): Promise<StoredObject<T>> {
    return this.inner.delete<T>(key, expectedRevision);
  }
  watch<T = unknown>(prefix: string, fromRevision: number, handlers: WatchHandlers<T>): Watcher {
    return this.inner.watch<T>(prefix, fromRevision, handlers);
  }
  compact(revision: number): Promise<void> {
    return this.inner.compact(revision);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
