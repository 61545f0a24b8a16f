/**
 * The embedded default store: a revision log in SQLite (better-sqlite3), in the manner of kine.
 *
 * Schema (sqlite-schema.ts):
 * - `log`: one row per write, `revision` is the global revision (INTEGER PRIMARY KEY). A row
 *   holds the key, the create revision of its incarnation, the previous row's revision, a
 *   deleted flag and the value as JSON text (for a delete: the value that was deleted). Watch
 *   replays and reads at old revisions come from here.
 * - `current`: key -> revision of its newest live log row, so current reads are one lookup.
 * - `meta`: the current revision and the compacted revision (the current revision is not
 *   max(log.revision): compaction may drop a trailing delete).
 *
 * Writes go through the group commit (sqlite-group-commit.ts): queued writes share one
 * transaction, and under durability 'full' (the default) a commit is published, to readers,
 * watchers and its writers, only once a WAL sync off the event loop made it durable. Reads never
 * see a written but unpublished commit (they read as of the published revision while one is
 * pending), so nobody is ever shown a state that a power loss could still take back.
 *
 * better-sqlite3 is synchronous, so each flush, each watch catch-up page (sqlite-watchers.ts) and
 * each compaction chunk runs to completion without interleaving.
 *
 * Opening the file, with the high-water mark and data directory checks beside it: sqlite-open.ts.
 */
import type Database from 'better-sqlite3';
import { decodeContinue, encodeContinue } from './continue-token.ts';
import { pageLimit, takePage } from './page.ts';
import { mapRows, toObject } from './sqlite-schema.ts';
import type { End, Row, Statements } from './sqlite-schema.ts';
import { StorageError } from './types.ts';
import type { ListOptions, ListResult, StoredObject, Watcher, WatchHandlers, WriteOptions } from './types.ts';
import type { HighWaterRecorder } from './high-water.ts';
import { toStorageError } from './sqlite-errors.ts';
import type { WalSync } from './wal-sync.ts';
import type { WalCheckpointer } from './sqlite-checkpoint.ts';
import type { DurabilityInfo, SqliteStore, SqliteStoreOptions } from './sqlite-store-types.ts';
import { openDatabase } from './sqlite-open.ts';
import { closedError, GroupCommit } from './sqlite-group-commit.ts';
import { rangeEnd, SqliteWatchers } from './sqlite-watchers.ts';
import { ExpirySweeper, SqliteExpiry } from './sqlite-ttl.ts';
import { sqliteUnexpiring } from './sqlite-unexpiring.ts';
import type { UnexpiringKeys } from './unexpiring-keys.ts';
import { ttlOf } from './write-ttl.ts';

export type { DurabilityInfo, SqliteStore, SqliteStoreOptions } from './sqlite-store-types.ts';

export function openSqliteStore(opts: SqliteStoreOptions): SqliteStore {
  const chunk = opts.compactChunk;
  if (chunk !== undefined && (!Number.isSafeInteger(chunk) || chunk < 1)) {
    throw new RangeError(`compactChunk must be a positive integer, got ${chunk}`);
  }
  for (const name of ['quotaBytes', 'walCheckpointBytes'] as const) {
    const n = opts[name];
    if (n !== undefined && (!Number.isSafeInteger(n) || n < 1)) throw new RangeError(`${name} must be a positive integer, got ${n}`);
  }
  return new SqliteRevisionStore(opts);
}

class SqliteRevisionStore implements SqliteStore {
  private readonly db: Database.Database;
  private readonly stmts: Statements;
  private readonly compactChunk: number;
  private readonly durability: 'full' | 'normal';
  private readonly now: () => number;
  private readonly probeIntervalMs: number;
  private readonly commits: GroupCommit;
  private readonly watchers: SqliteWatchers;
  private readonly expiry: ExpirySweeper;
  private readonly expiries: SqliteExpiry;
  private compacted: number;
  private compaction: Promise<void> = Promise.resolve();
  private closed = false;
  /** File-backed stores only. */
  private readonly wal?: WalSync;
  private readonly highWater?: HighWaterRecorder;
  private readonly checkpoints?: WalCheckpointer;

  constructor(opts: SqliteStoreOptions) {
    this.durability = opts.durability ?? 'full';
    this.now = opts.now ?? Date.now;
    this.probeIntervalMs = opts.healthProbeIntervalMs ?? 1000;
    const opened = openDatabase(opts, (err) => (this.commits.lastCommitError = err));
    ({ db: this.db, stmts: this.stmts, wal: this.wal, highWater: this.highWater, checkpoints: this.checkpoints, compacted: this.compacted } = opened);
    this.compactChunk = opts.compactChunk ?? 10_000;
    this.watchers = new SqliteWatchers({
      stmts: this.stmts,
      published: () => this.commits.revision,
      compacted: () => this.compacted,
      closed: () => this.closed,
    });
    const onCommit = opts.onCommit;
    const expiry = (this.expiries = new SqliteExpiry(this.db, this.now));
    this.commits = new GroupCommit({
      db: this.db,
      stmts: this.stmts,
      durability: this.durability,
      revision: opened.revision,
      now: this.now,
      wal: this.wal,
      highWater: this.highWater,
      checkpoints: this.checkpoints,
      expiry,
      onPublish: (events, revision) => {
        this.watchers.publish(events);
        onCommit?.({ writes: events.length, revision });
      },
    });
    this.expiry = new ExpirySweeper({ expiry, del: (key, rev) => this.delete(key, rev), intervalMs: opts.expirySweepMs, onError: opts.onExpiryError });
  }

  /** Published: durable, visible to readers and watchers. */
  private get revision(): number {
    return this.commits.revision;
  }

  currentRevision(): number {
    return this.revision;
  }

  compactedRevision(): number {
    return this.compacted;
  }

  durabilityInfo(): DurabilityInfo {
    return {
      durability: this.durability,
      synchronous: this.db.open ? (this.db.pragma('synchronous', { simple: true }) as number) : NaN,
      syncedBeforeAck: this.durability === 'full' && this.wal !== undefined,
      walSyncs: this.wal?.count ?? 0,
      walCheckpoints: this.checkpoints?.count ?? 0,
    };
  }

  async get<T = unknown>(key: string): Promise<StoredObject<T> | undefined> {
    this.assertOpen();
    try {
      if (!this.commits.unpublished) {
        const row = this.stmts.getCurrent.get(key);
        return row ? toObject<T>(row) : undefined;
      }
      const row = this.stmts.getAt.get(key, this.revision);
      return row && !row.deleted ? toObject<T>(row) : undefined;
    } catch (err) {
      throw toStorageError(err, `reading ${key}`);
    }
  }

  async list<T = unknown>(prefix: string, opts: ListOptions = {}): Promise<ListResult<T>> {
    this.assertOpen();
    let start = prefix;
    let revision = opts.atRevision ?? this.revision;
    if (opts.continue) {
      const pos = decodeContinue(opts.continue, prefix);
      if (opts.atRevision !== undefined && opts.atRevision !== pos.revision) {
        throw new StorageError('InvalidContinue', 'continue token and atRevision disagree');
      }
      ({ start, revision } = pos);
    }
    this.assertReadable(revision);
    try {
      return this.listAt<T>(prefix, start, revision, opts);
    } catch (err) {
      throw toStorageError(err, `listing ${prefix}`);
    }
  }

  private listAt<T>(prefix: string, start: string, revision: number, opts: ListOptions): ListResult<T> {
    const end = rangeEnd(prefix);
    const limit = pageLimit(opts.limit);
    const atCurrent = revision === this.revision && !this.commits.unpublished;
    // Without a predicate one row past the limit tells whether more follow; with one, rows are
    // read in chunks until the page is full.
    const chunk = limit === 0 ? undefined : opts.predicate ? Math.max(limit + 1, 100) : limit + 1;
    const rows = this.scan(start, end, atCurrent ? undefined : revision, chunk);
    const page = takePage(mapRows<T>(rows), limit, opts.predicate);
    const result: ListResult<T> = { items: page.items, revision };
    if (page.more && page.lastKey !== undefined) {
      result.continue = encodeContinue(prefix, revision, page.lastKey);
      // As upstream: a count is only meaningful when every key counts.
      if (!opts.predicate) {
        const total = atCurrent ? (this.stmts.countCurrent.get(start, end)?.n ?? 0) : this.countAsOf(start, end, revision);
        result.remainingItemCount = total - page.items.length;
      }
    }
    return result;
  }

  /**
   * Live keys of [start, end) as of `revision`: the current count (written state, a commit waiting
   * for its WAL sync included) less what the writes since changed, each key they touched looked up
   * at both ends, when they are fewer than the range's keys; else the range's history grouped
   * (countAt), which reads all of it (~90 ms for 60,000 Events). Used by count() while a commit
   * awaits its sync (every /metrics scrape under load) and by a continued page's remainingItemCount.
   */
  private countAsOf(start: string, end: End, revision: number): number {
    const now = this.stmts.countCurrent.get(start, end)?.n ?? 0;
    // One revision a write: the writes since `revision` are at most this many log rows.
    if (this.commits.written - revision > now) return this.stmts.countAt.get(start, end, revision)?.n ?? 0;
    let n = now;
    for (const { key } of this.stmts.keysWrittenAfter.iterate(revision, start, end)) {
      const then = this.stmts.getAt.get(key, revision);
      n += (then && !then.deleted ? 1 : 0) - (this.stmts.isCurrent.get(key) ? 1 : 0);
    }
    return n;
  }

  /**
   * Rows of [start, end) in key order, current (revision undefined) or as of `revision`, read in
   * chunks of `chunk` rows (all at once when undefined).
   */
  private *scan(start: string, end: End, revision: number | undefined, chunk: number | undefined): Generator<Row> {
    for (let from = start; ; ) {
      const n = chunk ?? -1;
      const rows =
        revision === undefined ? this.stmts.listCurrent.all(from, end, n) : this.stmts.listAt.all(from, end, revision, n);
      yield* rows;
      if (chunk === undefined || rows.length < chunk) return;
      from = rows[rows.length - 1].key + '\u0000';
    }
  }

  async count(prefix: string): Promise<number> {
    this.assertOpen();
    try {
      const end = rangeEnd(prefix);
      return this.commits.unpublished ? this.countAsOf(prefix, end, this.revision) : (this.stmts.countCurrent.get(prefix, end)?.n ?? 0);
    } catch (err) {
      throw toStorageError(err, `counting ${prefix}`);
    }
  }

  async create<T = unknown>(key: string, value: T, opts?: WriteOptions): Promise<StoredObject<T>> {
    return this.commits.enqueue<T>('create', key, value, undefined, ttlOf(key, opts));
  }

  async update<T = unknown>(key: string, value: T, expectedRevision: number, opts?: WriteOptions): Promise<StoredObject<T>> {
    return this.commits.enqueue<T>('update', key, value, expectedRevision, ttlOf(key, opts));
  }

  expireDue(): Promise<number> {
    return this.expiry.sweep();
  }

  delete<T = unknown>(key: string, expectedRevision?: number): Promise<StoredObject<T>> {
    return this.commits.enqueue<T>('delete', key, undefined, expectedRevision);
  }

  unexpiring(): UnexpiringKeys {
    return sqliteUnexpiring({
      db: this.db,
      expiry: this.expiries,
      // Written outside the group commit, as compaction is: never while a WAL checkpoint runs.
      writable: async () => {
        this.assertOpen();
        await this.commits.writable();
        this.assertOpen();
      },
      wrote: (rows) => this.commits.wroteOutside(rows),
    });
  }

  watch<T = unknown>(prefix: string, fromRevision: number, handlers: WatchHandlers<T>): Watcher {
    this.assertOpen();
    if (fromRevision < this.compacted) {
      throw new StorageError('Compacted', `revision ${fromRevision} has been compacted`, { revision: this.compacted });
    }
    return this.watchers.watch(prefix, fromRevision, handlers);
  }

  compact(revision: number): Promise<void> {
    // Serialised: two chunked compactions must not interleave.
    const run = this.compaction.then(() => this.runCompaction(revision));
    this.compaction = run.catch(() => undefined);
    return run;
  }

  async checkHealth(): Promise<void> {
    if (this.commits.failed) throw this.commits.failed;
    this.assertOpen();
    // Writes are succeeding: nothing to prove. Otherwise (idle, or the last commit failed) write.
    if (this.commits.lastCommitError === undefined && this.now() - this.commits.lastCommitAt < this.probeIntervalMs) return;
    await this.commits.enqueue('probe', '/', undefined, undefined);
  }

  async syncHighWater(): Promise<void> {
    await this.highWater?.settle();
  }

  async backup(file: string): Promise<void> {
    if (this.closed) throw closedError();
    // 64 pages per step: the event loop (and so the writers) runs between steps.
    await this.db.backup(file, { progress: () => 64 });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Deletes a running pass enqueued are written below; it starts no more.
    this.expiry.stop();
    // Writes what is queued now, then (after this turn) waits until everything written is published or failed.
    const drained = this.commits.close();
    this.closed = true;
    await drained;
    this.watchers.failAll(closedError());
    if (this.highWater) {
      await this.highWater.idle();
      if (this.commits.failed) this.highWater.stop();
      else {
        this.wal?.syncNow();
        this.highWater.recordNowSync(this.revision);
      }
    }
    this.checkpoints?.close();
    this.wal?.close();
    this.db.close();
  }

  private assertOpen(): void {
    if (this.closed) throw closedError();
  }

  private assertReadable(revision: number): void {
    if (revision > this.revision) {
      throw new StorageError('FutureRevision', `revision ${revision} is newer than the current revision ${this.revision}`, {
        revision: this.revision,
        requestedRevision: revision,
      });
    }
    if (revision < this.compacted) {
      throw new StorageError('Compacted', `revision ${revision} has been compacted`, { revision: this.compacted });
    }
  }

  /**
   * Mark the revision compacted first (so no reader is ever served from a half-compacted
   * range), then delete superseded rows in ascending revision chunks. Ascending order keeps
   * every intermediate state correct: a delete row is removed only after the older rows of its
   * key, so a key deleted at or before `revision` can never reappear to a reader.
   */
  private async runCompaction(revision: number): Promise<void> {
    this.assertOpen();
    if (revision > this.revision) {
      throw new StorageError('FutureRevision', `cannot compact revision ${revision}, current is ${this.revision}`, {
        revision: this.revision,
        requestedRevision: revision,
      });
    }
    if (revision <= this.compacted) return; // already done: compaction is idempotent
    // Compaction writes outside the group commit: never while a WAL checkpoint runs, and it counts
    // toward the next (a deleted row as a page changed).
    await this.commits.writable();
    if (this.closed || revision <= this.compacted) return;
    this.stmts.setMeta.run(revision, 'compacted');
    this.compacted = revision;
    let lo = (this.stmts.minRevision.get()?.r ?? revision + 1) - 1;
    while (lo < revision) {
      if (this.closed) return; // the remaining rows are merely unreachable; a later compaction removes them
      const hi = Math.min(lo + this.compactChunk, revision);
      const { changes } = this.stmts.compactRange.run(lo, hi, revision);
      this.commits.wroteOutside(changes);
      lo = hi;
      if (lo < revision) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        await this.commits.writable();
      }
    }
  }
}
