/**
 * A Store in front of another Store that serves current reads and recent watches from memory,
 * in the manner of kube-apiserver's watch cache.
 *
 * It lists the inner store once, then follows it with ONE watch from that list's revision; the
 * state (sorted keys + values) and the recent events, one ring per resource (watch-history.ts),
 * are updated from that watch only, so memory is always exactly the inner state at
 * `state.revision`. Reads at that revision and watches from revisions their resource's ring
 * still covers never touch the inner store; anything older falls through to it. Writes go to the inner store and resolve only once the cache has applied
 * them, so a read issued after an acknowledged write sees it (read-your-writes).
 *
 * Until the first list has arrived, and while re-priming after the inner watch failed, every
 * call goes straight to the inner store, which is always correct, just slower.
 *
 * Keys under `uncached` prefixes (the API server's default: Events, as upstream's default watch
 * cache size 0 for them) are never held: reads, lists, counts, watches and writes of them go to
 * the inner store, and so does any list or watch whose prefix contains one (a list of '' or of
 * '/registry/core/'), which memory could not answer whole. A write of such a key resolves when
 * the inner store acknowledges it; its reads go to that same store, so read-your-writes holds.
 * Their events still reach the one inner watch: each only moves the cache's revision. A list of
 * them without a limit (or a large one) is read in pages with the event loop turning between
 * them (paged-list.ts), as upstream's etcd read leaves other requests running.
 */
import { prefixEnd } from './key-range.ts';
import { decodeContinue, encodeContinue } from './continue-token.ts';
import { pageLimit, takePage } from './page.ts';
import { SortedKeys } from './sorted-keys.ts';
import { WatchHistory } from './watch-history.ts';
import type { HistoryBounds } from './watch-history.ts';
import { QueuedWatcher } from './watch-queue.ts';
import { deepFreeze } from './deep-freeze.ts';
import { QuorumReads } from './quorum-reads.ts';
import { UncachedPrefixes } from './uncached-prefixes.ts';
import { pagedList } from './paged-list.ts';
import { resourcePrefixOf } from './resource-prefix.ts';
import type { EncodedEvent } from './watch-queue.ts';
import { StorageError } from './types.ts';
import type { ListOptions, ListResult, ReadOptions, Store, StoredObject, Watcher, WatchEvent, WatchHandlers, WriteOptions } from './types.ts';

/** Bounds of the recent events kept for watches; watch-history.ts says why they are these. */
export interface WatchCacheOptions {
  /** Events kept per resource (default 100 * 1024, upstream's defaultUpperBoundCapacity). */
  historySize?: number;
  /** ... and across all resources (default 200,000). */
  historyEvents?: number;
  /** ... and the most JSON bytes their values may add up to across all resources (default 128 MiB). */
  historyBytes?: number;
  /**
   * Each resource keeps about this long of events, as upstream's eventFreshDuration (default
   * 75,000 ms; 0: only the bounds above). At full size (5,000 nodes, 150,000 pods) the Leases'
   * 500 renewals a second then hold 51,200 events (~36 MiB of heap) instead of 102,400 (~71 MiB).
   */
  historyWindowMs?: number;
  /** The clock of that window, in ms (default performance.now). */
  now?: () => number;
  /** Key prefixes left to the inner store (uncached-prefixes.ts; default none). */
  uncached?: readonly string[];
}

/** What the cache holds under a prefix: objects in memory and, for a resource prefix, events in its history. */
export interface WatchCacheCounts {
  objects: number;
  events: number;
}

/** A watch cache: a Store, and what it holds (for tests and benches). */
export interface WatchCacheStore extends Store {
  /** Objects held under `prefix`, and events held for its resource (0 and 0 while not primed). */
  held(prefix: string): WatchCacheCounts;
}

interface Entry {
  /**
   * Deep-frozen (deep-freeze.ts) and shared by every reader: no JSON parse per read or per
   * watcher, and no reader can change what another sees.
   */
  value: object;
  createRevision: number;
  modRevision: number;
  /**
   * Length of the value's JSON text, when it came in an event (undefined for the primed list):
   * the next event's prevSize, so a paused watcher's byte accounting serialises nothing.
   */
  size: number | undefined;
}

interface CacheState {
  revision: number;
  keys: SortedKeys;
  objects: Map<string, Entry>;
  history: WatchHistory;
}

/** How long a read of the current state waits for memory to reach etcd's revision (upstream's blockTimeout). */
const FRESH_WAIT_MS = 3_000;

/** Attempts to prime when the inner store compacts between our list and our watch. */
const PRIME_ATTEMPTS = 3;

export function createWatchCache(inner: Store, opts: WatchCacheOptions = {}): WatchCacheStore {
  const bounds: HistoryBounds = {
    perResource: opts.historySize ?? 100 * 1024,
    totalEvents: opts.historyEvents ?? 200_000,
    totalBytes: opts.historyBytes ?? 128 * 1024 * 1024,
  };
  const windowMs = opts.historyWindowMs ?? 75_000;
  if (!(windowMs >= 0)) throw new RangeError(`historyWindowMs must not be negative, got ${windowMs}`);
  if (windowMs > 0) bounds.window = { ms: windowMs, now: opts.now ?? (() => performance.now()) };
  for (const [name, v] of [['historySize', bounds.perResource], ['historyEvents', bounds.totalEvents], ['historyBytes', bounds.totalBytes]] as const) {
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  }
  return new WatchCache(inner, bounds, new UncachedPrefixes(opts.uncached ?? []));
}

function toObject<T>(key: string, e: Entry): StoredObject<T> {
  return { key, value: e.value as T, createRevision: e.createRevision, modRevision: e.modRevision };
}

/** Values are parsed lazily: a limited page parses only the keys it examines. */
function* objectsOf<T>(s: CacheState, from: number, to: number): Generator<StoredObject<T>> {
  for (let i = from; i < to; i++) {
    const k = s.keys.at(i); // in order: SortedKeys keeps a cursor, no search per key
    yield toObject<T>(k, s.objects.get(k) as Entry);
  }
}

function closedError(): StorageError {
  return new StorageError('Closed', 'storage is closed');
}

class WatchCache implements WatchCacheStore {
  private readonly inner: Store;
  private readonly uncached: UncachedPrefixes;
  private readonly bounds: HistoryBounds;
  private state: CacheState | undefined;
  private ready: Promise<void>;
  private innerWatcher: Watcher | undefined;
  private readonly watchers = new Set<QueuedWatcher<unknown>>();
  private waiters: Array<{ revision: number; resolve: () => void }> = [];
  private closed = false;
  /** Quorum reads of the inner store's revision, when others write it too (see fresh()). */
  private readonly quorum: QuorumReads | undefined;
  /** Priming failed for good: serve everything from the inner store. */
  private passThrough = false;

  constructor(inner: Store, bounds: HistoryBounds, uncached: UncachedPrefixes) {
    this.inner = inner;
    this.uncached = uncached;
    this.quorum = inner.freshRevision ? new QuorumReads(() => inner.freshRevision!()) : undefined;
    this.bounds = bounds;
    this.ready = this.startPriming();
  }

  currentRevision(): number {
    return this.state?.revision ?? this.inner.currentRevision();
  }

  compactedRevision(): number {
    return this.inner.compactedRevision();
  }

  held(prefix: string): WatchCacheCounts {
    const s = this.state;
    if (!s) return { objects: 0, events: 0 };
    const resource = resourcePrefixOf(prefix);
    return { objects: s.keys.endIndex(prefixEnd(prefix)) - s.keys.lowerBound(prefix), events: resource === undefined ? 0 : s.history.lengthOf(resource) };
  }

  async get<T = unknown>(key: string, opts: ReadOptions = {}): Promise<StoredObject<T> | undefined> {
    if (this.uncached.holds(key)) return this.innerCall(() => this.inner.get<T>(key, opts));
    const s = await this.serving();
    if (!s || (opts.consistent && !(await this.fresh(s)))) return this.inner.get<T>(key);
    const e = s.objects.get(key);
    return e ? toObject<T>(key, e) : undefined;
  }

  /** get() from memory, at once; undefined while get() would go to the inner store or fail. */
  getNow<T = unknown>(key: string): StoredObject<T> | null | undefined {
    const s = this.state;
    if (!s || this.closed || this.uncached.holds(key)) return undefined;
    const e = s.objects.get(key);
    return e ? toObject<T>(key, e) : null;
  }

  async list<T = unknown>(prefix: string, opts: ListOptions = {}): Promise<ListResult<T>> {
    if (this.uncached.reaches(prefix)) return this.innerCall(() => pagedList<T>(this.inner, prefix, opts));
    const s = await this.serving();
    if (!s) return this.inner.list<T>(prefix, opts);
    let start = prefix;
    if (opts.continue) {
      const pos = decodeContinue(opts.continue, prefix);
      if (opts.atRevision !== undefined && opts.atRevision !== pos.revision) {
        throw new StorageError('InvalidContinue', 'continue token and atRevision disagree');
      }
      // A later page of a list whose snapshot memory no longer holds: read it from the log.
      if (pos.revision !== s.revision) return this.inner.list<T>(prefix, opts);
      start = pos.start;
    } else if (opts.atRevision !== undefined && opts.atRevision !== s.revision) {
      return this.inner.list<T>(prefix, opts);
    } else if (opts.consistent && opts.atRevision === undefined && !(await this.fresh(s))) {
      return this.inner.list<T>(prefix, opts);
    }
    // Memory lagging behind a compaction: let the inner store answer (or refuse) consistently.
    if (s.revision < this.inner.compactedRevision()) return this.inner.list<T>(prefix, opts);

    const from = s.keys.lowerBound(start);
    const to = Math.max(from, s.keys.endIndex(prefixEnd(prefix)));
    const page = takePage(objectsOf<T>(s, from, to), pageLimit(opts.limit), opts.predicate);
    const result: ListResult<T> = { items: page.items, revision: s.revision };
    if (page.more && page.lastKey !== undefined) {
      result.continue = encodeContinue(prefix, s.revision, page.lastKey);
      if (!opts.predicate) result.remainingItemCount = to - from - page.items.length;
    }
    return result;
  }

  async count(prefix: string): Promise<number> {
    if (this.uncached.reaches(prefix)) return this.innerCall(() => this.inner.count(prefix));
    const s = await this.serving();
    if (!s) return this.inner.count(prefix);
    return s.keys.endIndex(prefixEnd(prefix)) - s.keys.lowerBound(prefix);
  }

  async create<T = unknown>(key: string, value: T, opts?: WriteOptions): Promise<StoredObject<T>> {
    return this.written(key, await this.inner.create<T>(key, value, opts));
  }

  async update<T = unknown>(key: string, value: T, expectedRevision: number, opts?: WriteOptions): Promise<StoredObject<T>> {
    return this.written(key, await this.inner.update<T>(key, value, expectedRevision, opts));
  }

  async delete<T = unknown>(key: string, expectedRevision?: number): Promise<StoredObject<T>> {
    return this.written(key, await this.inner.delete<T>(key, expectedRevision));
  }

  watch<T = unknown>(prefix: string, fromRevision: number, handlers: WatchHandlers<T>): Watcher {
    if (this.closed) throw closedError();
    // The inner store refuses a compacted start itself, with the same error.
    if (this.uncached.reaches(prefix)) return this.inner.watch<T>(prefix, fromRevision, handlers);
    const compacted = this.inner.compactedRevision();
    if (fromRevision < compacted) {
      throw new StorageError('Compacted', `revision ${fromRevision} has been compacted`, { revision: compacted });
    }
    const s = this.state;
    // Older than this resource's history: the inner store replays its log (it refuses only what
    // it compacted, with the 410 upstream gives), so the client need not relist.
    if (!s || fromRevision < s.history.from(prefix)) return this.inner.watch<T>(prefix, fromRevision, handlers);
    // apply() moves s.revision and pushes to every matching watcher in one synchronous turn, and
    // progressed() moves it with nothing to push: so a watcher with an empty queue has been given
    // every event up to s.revision (its bookmarks carry that, not its last event's revision).
    const w = new QueuedWatcher<T>(prefix, fromRevision, handlers, (x) => this.watchers.delete(x as QueuedWatcher<unknown>), () => s.revision);
    // Replay and registration in one synchronous turn: apply() cannot run in between.
    for (const e of s.history.after(prefix, fromRevision)) if (w.matches(e.key)) w.push(e);
    this.watchers.add(w as QueuedWatcher<unknown>);
    return w;
  }

  compact(revision: number): Promise<void> {
    return this.inner.compact(revision);
  }

  /** Readiness is the inner store's: the cache accepts no writes of its own. */
  async checkHealth(): Promise<void> {
    await this.inner.checkHealth?.();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.innerWatcher?.close();
    this.innerWatcher = undefined;
    this.state = undefined;
    for (const w of [...this.watchers]) w.fail(closedError());
    this.watchers.clear();
    // Writes waiting to be observed were committed: let them resolve.
    for (const w of this.waiters) w.resolve();
    this.waiters = [];
    await this.inner.close();
  }

  /**
   * A consistent read on a store that other API servers write too (etcd): memory must
   * first reach the revision a quorum read reports, as upstream's consistent list from the watch
   * cache, so a write acknowledged anywhere is seen (the quorum reads are shared: quorum-reads.ts).
   * Behind it, the inner watch is asked for progress (writes outside the followed prefix move
   * etcd's revision without an event). False when memory did not get there within FRESH_WAIT_MS:
   * the caller reads the inner store, as upstream falls back to etcd.
   */
  private async fresh(s: CacheState): Promise<boolean> {
    if (!this.quorum) return true;
    let rev: number;
    try {
      rev = await this.quorum.next();
    } catch {
      return false;
    }
    if (this.state !== s) return false;
    if (s.revision >= rev) return true;
    // Writes outside the root move etcd's revision without an event: ask where the watch is.
    this.inner.requestWatchProgress?.();
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, FRESH_WAIT_MS);
      const waiter = { revision: rev, resolve: () => (clearTimeout(timer), resolve(this.state === s)) };
      this.waiters.push(waiter);
    });
  }

  /** The state to serve reads from, or undefined to fall through to the inner store. */
  private async serving(): Promise<CacheState | undefined> {
    await this.ready;
    if (this.closed) throw closedError();
    return this.state;
  }

  /** A read the inner store answers whole (uncached keys): refused once closed, like every other. */
  private innerCall<R>(read: () => Promise<R>): Promise<R> {
    if (this.closed) return Promise.reject(closedError());
    return read();
  }

  /** An acknowledged write: an uncached key's at once (nothing here shows it), another once memory has it. */
  private written<T>(key: string, obj: StoredObject<T>): Promise<StoredObject<T>> | StoredObject<T> {
    return this.uncached.holds(key) ? obj : this.caughtUp(obj);
  }

  private async caughtUp<T>(obj: StoredObject<T>): Promise<StoredObject<T>> {
    const s = this.state;
    if (!this.closed && !this.passThrough && !(s && s.revision >= obj.modRevision)) {
      await new Promise<void>((resolve) => this.waiters.push({ revision: obj.modRevision, resolve }));
    }
    return obj;
  }

  private settleWaiters(): void {
    const rev = this.state?.revision ?? -1;
    if (this.waiters.length === 0) return;
    const still: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (w.revision <= rev) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }

  /** Prime in the background; a failure degrades to pass-through instead of wedging callers. */
  private startPriming(): Promise<void> {
    return this.prime().catch(() => {
      this.passThrough = true;
      // Nothing to follow: let waiting writers go; reads fall through to the inner store.
      for (const w of this.waiters) w.resolve();
      this.waiters = [];
    });
  }

  private async prime(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const snapshot = await this.inner.list('');
      if (this.closed) return;
      const s: CacheState = {
        revision: snapshot.revision,
        keys: new SortedKeys(),
        objects: new Map(),
        history: new WatchHistory(snapshot.revision, this.bounds),
      };
      for (const item of snapshot.items) {
        if (this.uncached.holds(item.key)) continue;
        s.keys.insert(item.key);
        s.objects.set(item.key, { value: deepFreeze(item.value as object), createRevision: item.createRevision, modRevision: item.modRevision, size: undefined });
      }
      try {
        this.innerWatcher = this.inner.watch('', snapshot.revision, {
          onEvent: (e) => this.apply(s, e),
          onProgress: (rev) => this.progressed(s, rev),
          // Uncached keys' changes only move the revision (apply() would drop them): not decoded.
          ...(this.uncached.empty ? {} : { passOver: (key: string) => this.uncached.holds(key) }),
          onError: (err) => this.lost(s, err),
        });
      } catch (err) {
        if (err instanceof StorageError && err.code === 'Compacted' && attempt < PRIME_ATTEMPTS) continue;
        throw err;
      }
      this.state = s;
      this.settleWaiters();
      return;
    }
  }

  private apply(s: CacheState, e: WatchEvent): void {
    if (this.state !== s || e.revision <= s.revision) return;
    // No watcher here can match it (a watch reaching the prefix went to the inner store): it
    // only moves the revision memory is at, as a progress notification does.
    if (this.uncached.holds(e.key)) return this.progressed(s, e.revision);
    const prev = s.objects.get(e.key);
    let event: EncodedEvent;
    // What the event pins: its value (a DELETED event may be the last holder of the old value).
    // Carried by the event (and the entry, for the next event's prevSize) rather than in a
    // WeakMap beside the value: one entry per object held was a hash insert per write.
    let bytes: number;
    if (e.type === 'DELETED') {
      const value = prev?.value ?? deepFreeze(e.value as object);
      s.objects.delete(e.key);
      s.keys.remove(e.key);
      bytes = e.size ?? prev?.size ?? JSON.stringify(value).length;
      event = { type: 'DELETED', key: e.key, revision: e.revision, createRevision: e.createRevision, value, prevValue: value, size: bytes };
    } else {
      const value = deepFreeze(e.value as object);
      bytes = e.size ?? JSON.stringify(value).length;
      if (!prev) s.keys.insert(e.key);
      s.objects.set(e.key, { value, createRevision: e.createRevision, modRevision: e.revision, size: bytes });
      event = { type: prev ? 'MODIFIED' : 'ADDED', key: e.key, revision: e.revision, createRevision: e.createRevision, value, size: bytes };
      if (prev) {
        event.prevValue = prev.value;
        if (prev.size !== undefined) event.prevSize = prev.size;
      }
    }
    s.revision = e.revision;
    s.history.push(event, bytes);
    for (const w of this.watchers) if (w.matches(e.key)) w.push(event);
    this.settleWaiters();
  }

  /**
   * Nothing under the root changed up to `rev` (a progress notification): memory is the state at
   * `rev`, so reads waiting for it can go (writes elsewhere in etcd move its revision too).
   */
  private progressed(s: CacheState, rev: number): void {
    if (this.state !== s || rev <= s.revision) return;
    s.revision = rev;
    this.settleWaiters();
  }

  /** The inner watch ended: our watchers saw a history we can no longer continue; start over. */
  private lost(s: CacheState, err: Error): void {
    if (this.state !== s || this.closed) return;
    this.state = undefined;
    this.innerWatcher = undefined;
    for (const w of [...this.watchers]) w.fail(err);
    this.watchers.clear();
    this.ready = this.startPriming();
  }
}
