/**
 * A TTL for every key under a prefix, as upstream's registries give one with their TTLFunc: the
 * Event registry's returns --event-ttl on create and on update (registry/core/event/storage), so
 * every write of an Event (a series' count bump too) sets its expiry anew. The store below then
 * deletes the key when it passes (etcd: a lease; SQLite: sqlite-ttl.ts).
 *
 * Applied beneath the watch cache, on the backing store, so every writer of such keys gets it:
 * the REST handlers (POST, PUT, every PATCH, apply, a finalizer's update on delete) and the API
 * server's own Events alike. A write that names its own WriteOptions keeps them.
 *
 * Keys stored before the rule (or while its TTL was 0) have no expiry: a rule with `writtenAt`
 * starts the migration that gives them one (expiry-backfill.ts) on a store that offers it, and
 * close() stops it first.
 */
import type { ListOptions, ReadOptions, Store, StoredObject, Watcher, WatchHandlers, WriteOptions } from './types.ts';
import { ttlOf } from './write-ttl.ts';
import { ExpiryBackfill, type ExpiryBackfillOptions } from './expiry-backfill.ts';

export interface KeyTtl {
  /** Key prefix, ending in '/'. */
  prefix: string;
  ttlSeconds: number;
  /** When a stored value was last written: given, keys stored without an expiry get one (see above). */
  writtenAt?: (value: unknown) => number | undefined;
}

/** How the migration runs (expiry-backfill.ts; its defaults). */
export type BackfillPacing = Pick<ExpiryBackfillOptions, 'now' | 'chunk' | 'pauseMs' | 'retryMs' | 'onError'> & {
  /** When a rule's migration ends (every key examined, or stopped by close): how many got an expiry. */
  onDone?: (prefix: string, given: number) => void;
};

/** `store` with `rules` applied; the store itself when no rule gives a TTL. */
export function withKeyTtl(store: Store, rules: KeyTtl[], pacing: BackfillPacing = {}): Store {
  const active = rules.filter((r) => ttlOf(r.prefix, r) > 0);
  for (const r of active) if (!r.prefix.endsWith('/')) throw new RangeError(`TTL prefix must end in '/': ${r.prefix}`);
  return active.length === 0 ? store : new KeyTtlStore(store, active, pacing);
}

class KeyTtlStore implements Store {
  private readonly inner: Store;
  private readonly rules: KeyTtl[];
  /** The migrations running or run (expiry-backfill.ts). */
  readonly backfills: ExpiryBackfill[] = [];

  constructor(inner: Store, rules: KeyTtl[], pacing: BackfillPacing) {
    this.inner = inner;
    this.rules = rules;
    const keys = inner.unexpiring?.();
    const { onDone, ...opts } = pacing;
    for (const r of keys ? rules : []) {
      if (!r.writtenAt) continue;
      const b = new ExpiryBackfill({ ...opts, keys: keys!, prefix: r.prefix, ttlSeconds: r.ttlSeconds, writtenAt: r.writtenAt });
      void b.done.then((given) => onDone?.(r.prefix, given));
      this.backfills.push(b);
    }
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
  async close(): Promise<void> {
    await Promise.all(this.backfills.map((b) => b.stop()));
    return this.inner.close();
  }
}
