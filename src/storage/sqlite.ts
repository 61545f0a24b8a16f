/**
 * The embedded default store: a revision log in SQLite (better-sqlite3), in the manner of kine.
 *
 * Schema (sqlite-schema.ts):
 * - `log`: one row per write, `revision` is the global revision (INTEGER PRIMARY KEY). A row
 *   holds the key, the create revision of its incarnation, the previous row's revision, a
 *   deleted flag and the value as JSON text (for a delete: the value that was deleted). Watch
 *   replays and reads at old revisions come from here.
 * - `current`: key -> revision of its newest live log row, so current reads are one join.
 * - `meta`: the current revision and the compacted revision (the current revision is not
 *   max(log.revision): compaction may drop a trailing delete).
 *
 * Group commit: writes are queued and the queue is flushed on setImmediate (under 'full', not
 * before the WAL sync in flight completes), so every write issued in the same tick, or while the
 * disk was busy, shares ONE transaction. Each write is checked against the current row
 * before it is applied, so it gets its own revision and its own outcome; a write's promise
 * settles only after its commit is durable.
 *
 * Durability 'full' (the default) syncs the WAL off the event loop (wal-sync.ts): SQLite runs
 * with synchronous=NORMAL, each COMMIT only writes its frames, and an fdatasync on the thread
 * pool makes them durable; one sync covers every commit written before it started, so commits
 * made while it runs share the next one. A commit is "written" when COMMIT returns and
 * "published" when its sync completes: only then do its events go to watchers, its promises
 * settle and `currentRevision()` move. Reads never see a written but unpublished commit (they
 * read as of the published revision while one is pending), so nobody is ever shown a state that
 * a power loss could still take back. Durability 'normal' publishes on COMMIT.
 *
 * better-sqlite3 is synchronous, so each flush, each watch catch-up page and each compaction
 * chunk runs to completion without interleaving. A watch from an old revision replays the log one
 * page at a time (at most its backlog bound in events and bytes), reading the next page only when
 * the previous one is delivered and the consumer is not paused; live events are not pushed to it
 * meanwhile, and the page that reaches the published revision registers it for live events in
 * the same turn, which is what makes the hand-over from catch-up to live events gap-free.
 *
 * Beside the file: a revision high-water mark (high-water.ts) refuses a store that lost commits,
 * and the data directory and file modes are checked (data-dir.ts).
 */
import Database from 'better-sqlite3';
import { isValidKey, prefixEnd } from './key-range.ts';
import { decodeContinue, encodeContinue } from './continue-token.ts';
import { pageLimit, takePage } from './page.ts';
import { createSchema, mapRows, NO_END, prepareStatements, toEvent, toObject } from './sqlite-schema.ts';
import type { End, Row, Statements } from './sqlite-schema.ts';
import { eventBytes, QueuedWatcher } from './watch-queue.ts';
import type { EncodedEvent } from './watch-queue.ts';
import { checkValueSize, checkWrite } from './write-check.ts';
import type { WriteKind } from './write-check.ts';
import { StorageError } from './types.ts';
import type { ListOptions, ListResult, Store, StoredObject, Watcher, WatchHandlers } from './types.ts';
import { prepareDatabaseFiles } from './data-dir.ts';
import { checkHighWater, HighWaterError, highWaterPath, HighWaterRecorder, readHighWater, writeHighWaterSync } from './high-water.ts';
import { decodeStored, toStorageError } from './sqlite-errors.ts';
import { WalSync } from './wal-sync.ts';
import { deepFreeze } from './deep-freeze.ts';
import { frozenJsonCopy } from './frozen-json-copy.ts';

export interface SqliteStoreOptions {
  /** Database file, or ':memory:'. */
  path: string;
  /** 'full' (default): every acknowledged write is fsynced. 'normal': survives a process crash, not power loss. */
  durability?: 'full' | 'normal';
  /** Called after every group commit is published (metrics, tests). */
  onCommit?: (info: { writes: number; revision: number }) => void;
  /** Revisions compacted per transaction (default 10,000); the event loop runs between chunks. */
  compactChunk?: number;
  /** Largest database size in bytes (etcd's --quota-backend-bytes); writes past it fail. Default: none. */
  quotaBytes?: number;
  /** Least time between two recordings of the revision high-water mark (default 1,000 ms). */
  highWaterIntervalMs?: number;
  /** Readiness probes a write only when no commit succeeded for this long (default 1,000 ms). */
  healthProbeIntervalMs?: number;
  /** Milliseconds clock (default Date.now). */
  now?: () => number;
}

export interface DurabilityInfo {
  durability: 'full' | 'normal';
  /** PRAGMA synchronous as SQLite reports it: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA. */
  synchronous: number;
  /** True when every acknowledged write was in a WAL sync that completed first. */
  syncedBeforeAck: boolean;
  /** WAL syncs completed so far. */
  walSyncs: number;
}

/** The SQLite store: a Store plus what only it can tell. */
export interface SqliteStore extends Store {
  durabilityInfo(): DurabilityInfo;
  /** Fails unless the store currently accepts writes (readiness). */
  checkHealth(): Promise<void>;
  /** Records the published revision as the high-water mark now (tests, backups). */
  syncHighWater(): Promise<void>;
  /**
   * A consistent copy of the store in `file` while it keeps serving (SQLite's online backup API on
   * this connection: pages are copied a few at a time between writes, and a write made meanwhile
   * through this connection is carried into the copy, so the copy is the state at its end).
   */
  backup(file: string): Promise<void>;
}

type QueuedKind = WriteKind | 'probe';

interface PendingWrite {
  kind: QueuedKind;
  key: string;
  text?: string;
  /** The value as parsing `text` would give it, deep-frozen, when a plain copy could make it (frozen-json-copy.ts). */
  copy?: object;
  expectedRevision?: number;
  resolve: (obj: StoredObject<unknown> | undefined) => void;
  reject: (err: Error) => void;
}

/** A group commit that is written; published once it is durable. */
interface Written {
  batch: PendingWrite[];
  outcomes: Array<StoredObject<unknown> | StorageError | undefined>;
  events: EncodedEvent[];
  revision: number;
}

export function openSqliteStore(opts: SqliteStoreOptions): SqliteStore {
  const chunk = opts.compactChunk;
  if (chunk !== undefined && (!Number.isSafeInteger(chunk) || chunk < 1)) {
    throw new RangeError(`compactChunk must be a positive integer, got ${chunk}`);
  }
  if (opts.quotaBytes !== undefined && (!Number.isSafeInteger(opts.quotaBytes) || opts.quotaBytes < 1)) {
    throw new RangeError(`quotaBytes must be a positive integer, got ${opts.quotaBytes}`);
  }
  return new SqliteRevisionStore(opts);
}

function rangeEnd(prefix: string): End {
  return prefixEnd(prefix) ?? NO_END;
}

/** Most writes in one group commit; a longer queue takes several turns. */
const MAX_BATCH = 1000;

function closedError(): StorageError {
  return new StorageError('Closed', 'storage is closed');
}

/**
 * A written value, parsed once and deep-frozen (or, for plain data, copied frozen when it was
 * queued: frozen-json-copy.ts, the same value without the parse): the writer's answer and every live watcher (the
 * watch cache above all, which keeps it as its copy) share this one object instead of each
 * parsing the text again; frozen, nobody can change what another sees. In the event it travels
 * as the object with its text's length, except a value that is not an object (a store written by
 * something else): that stays text, since a string in an event means JSON to parse.
 */
function sharedValue(key: string, text: string, copy?: object): { value: unknown; inEvent: string | object } {
  if (copy !== undefined) return { value: copy, inEvent: copy };
  const value = deepFreeze(decodeStored<unknown>(key, text));
  return { value, inEvent: typeof value === 'object' && value !== null ? value : text };
}

class SqliteRevisionStore implements SqliteStore {
  private readonly db: Database.Database;
  private readonly stmts: Statements;
  private readonly onCommit?: SqliteStoreOptions['onCommit'];
  private readonly compactChunk: number;
  private readonly durability: 'full' | 'normal';
  private readonly now: () => number;
  private readonly probeIntervalMs: number;
  /** Published: durable, visible to readers and watchers. */
  private revision: number;
  /** Written to the WAL (>= revision). */
  private written: number;
  private compacted: number;
  private pending: PendingWrite[] = [];
  private flushTimer: NodeJS.Immediate | undefined;
  private readonly watchers = new Set<QueuedWatcher<unknown>>();
  /** Watchers still replaying the log: they read pages themselves and get no live events yet. */
  private readonly replaying = new Set<QueuedWatcher<unknown>>();
  private compaction: Promise<void> = Promise.resolve();
  private closed = false;
  /** File-backed stores only. */
  private readonly wal?: WalSync;
  private readonly highWater?: HighWaterRecorder;
  /** Written commits waiting for the next WAL sync, and the sync in flight. */
  private unsynced: Written[] = [];
  private syncing: Promise<void> | undefined;
  /** Set when a WAL sync failed: what was written may or may not be on disk, so nothing more is. */
  private failed: StorageError | undefined;
  private lastCommitError: StorageError | undefined;
  private lastCommitAt = -Infinity;

  constructor(opts: SqliteStoreOptions) {
    const file = opts.path !== ':memory:' && opts.path !== '';
    if (file) prepareDatabaseFiles(opts.path);
    this.durability = opts.durability ?? 'full';
    this.now = opts.now ?? Date.now;
    this.probeIntervalMs = opts.healthProbeIntervalMs ?? 1000;
    // No busy wait: under the exclusive lock below nobody else may hold the file, so fail fast.
    this.db = new Database(opts.path, { timeout: 0 });
    try {
      // Exclusive: a second process opening the same data dir would fork the revision counter.
      this.db.exec('PRAGMA locking_mode = EXCLUSIVE');
      this.db.exec('PRAGMA journal_mode = WAL');
      // NORMAL in both modes: under 'full' the WAL is synced by us, off the event loop (above).
      this.db.exec('PRAGMA synchronous = NORMAL');
      if (opts.quotaBytes !== undefined) {
        const pageSize = this.db.pragma('page_size', { simple: true }) as number;
        this.db.pragma(`max_page_count = ${Math.max(1, Math.floor(opts.quotaBytes / pageSize))}`);
      }
      const meta = createSchema(this.db);
      this.revision = meta.revision;
      this.written = meta.revision;
      this.compacted = meta.compacted;
      this.stmts = prepareStatements(this.db);
      if (file) {
        const hwmPath = highWaterPath(opts.path);
        const mark = readHighWater(hwmPath);
        checkHighWater(hwmPath, opts.path, this.revision, mark);
        this.wal = new WalSync(`${opts.path}-wal`);
        // A new store, or one from a build without the mark: record where it stands now.
        if (mark === undefined) {
          this.wal.syncNow();
          writeHighWaterSync(hwmPath, this.revision);
        }
        const wal = this.wal;
        this.highWater = new HighWaterRecorder(hwmPath, Math.max(mark ?? 0, this.revision), {
          intervalMs: opts.highWaterIntervalMs,
          now: this.now,
          // Under 'normal' commits are not synced one by one: sync them before naming them durable.
          beforeRecord: this.durability === 'normal' ? () => wal.sync() : undefined,
          onError: (err) => (this.lastCommitError = toStorageError(err, 'recording the revision high-water mark failed')),
        });
      }
    } catch (err) {
      this.wal?.close();
      this.db.close();
      throw err instanceof HighWaterError ? err : toStorageError(err, `opening ${opts.path}`);
    }
    this.onCommit = opts.onCommit;
    this.compactChunk = opts.compactChunk ?? 10_000;
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
    };
  }

  /** A commit is written but not yet published: current reads must go through the log. */
  private get unpublished(): boolean {
    return this.written !== this.revision;
  }

  async get<T = unknown>(key: string): Promise<StoredObject<T> | undefined> {
    this.assertOpen();
    try {
      if (!this.unpublished) {
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
    const atCurrent = revision === this.revision && !this.unpublished;
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
        const total = atCurrent ? this.stmts.countCurrent.get(start, end)?.n : this.stmts.countAt.get(start, end, revision)?.n;
        result.remainingItemCount = (total ?? 0) - page.items.length;
      }
    }
    return result;
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
      const row = this.unpublished ? this.stmts.countAt.get(prefix, end, this.revision) : this.stmts.countCurrent.get(prefix, end);
      return row?.n ?? 0;
    } catch (err) {
      throw toStorageError(err, `counting ${prefix}`);
    }
  }

  create<T = unknown>(key: string, value: T): Promise<StoredObject<T>> {
    return this.enqueue<T>('create', key, value, undefined);
  }

  update<T = unknown>(key: string, value: T, expectedRevision: number): Promise<StoredObject<T>> {
    return this.enqueue<T>('update', key, value, expectedRevision);
  }

  delete<T = unknown>(key: string, expectedRevision?: number): Promise<StoredObject<T>> {
    return this.enqueue<T>('delete', key, undefined, expectedRevision);
  }

  watch<T = unknown>(prefix: string, fromRevision: number, handlers: WatchHandlers<T>): Watcher {
    this.assertOpen();
    if (fromRevision < this.compacted) {
      throw new StorageError('Compacted', `revision ${fromRevision} has been compacted`, { revision: this.compacted });
    }
    const watcher = new QueuedWatcher<unknown>(prefix, fromRevision, handlers as WatchHandlers<unknown>, (w) => {
      this.watchers.delete(w);
      this.replaying.delete(w);
    });
    if (fromRevision >= this.revision) {
      this.watchers.add(watcher);
      return watcher;
    }
    // The first page is read now, so a failing read is the caller's error, thrown synchronously.
    this.replaying.add(watcher);
    try {
      this.replayPage(watcher, fromRevision);
    } catch (err) {
      this.replaying.delete(watcher);
      throw toStorageError(err, `watching ${prefix}`);
    }
    return watcher;
  }

  /**
   * Push the next page of a replay: log rows after `after` up to the published revision (later
   * commits arrive when they are published), at most the watcher's bound in events and bytes. A
   * page that reaches the published revision ends the replay and registers the watcher for live
   * events in this same synchronous turn, so no publication can slip between; a full page asks
   * for the next one once it is delivered.
   */
  private replayPage(w: QueuedWatcher<unknown>, after: number): void {
    const { maxEvents, maxBytes } = w.bound;
    let last = after;
    let events = 0;
    let bytes = 0;
    let full = false;
    // iterate(), not all(): rows past the page are never read; leaving the loop resets the statement.
    for (const row of this.stmts.eventsAfter.iterate(after, this.revision, w.prefix, rangeEnd(w.prefix))) {
      const e = toEvent(row);
      w.push(e);
      last = e.revision;
      bytes += eventBytes(e);
      if (++events >= maxEvents || bytes >= maxBytes) {
        full = true;
        break;
      }
    }
    if (!full) {
      this.replaying.delete(w);
      w.endReplay();
      this.watchers.add(w);
      return;
    }
    w.replayFrom(() => this.nextReplayPage(w, last));
  }

  private nextReplayPage(w: QueuedWatcher<unknown>, after: number): void {
    if (this.closed || w.closed) return;
    // Compaction may have removed rows this replay has not read yet: a gap is never delivered;
    // the watch ends as etcd ends a watcher it compacted past, and the client relists.
    const failure =
      after < this.compacted
        ? new StorageError('Compacted', `revision ${after} has been compacted`, { revision: this.compacted })
        : this.tryReplayPage(w, after);
    if (!failure) return;
    this.replaying.delete(w);
    w.endReplay();
    w.fail(failure);
  }

  private tryReplayPage(w: QueuedWatcher<unknown>, after: number): StorageError | undefined {
    try {
      this.replayPage(w, after);
      return undefined;
    } catch (err) {
      return toStorageError(err, `watching ${w.prefix}`);
    }
  }

  compact(revision: number): Promise<void> {
    // Serialised: two chunked compactions must not interleave.
    const run = this.compaction.then(() => this.runCompaction(revision));
    this.compaction = run.catch(() => undefined);
    return run;
  }

  async checkHealth(): Promise<void> {
    if (this.failed) throw this.failed;
    this.assertOpen();
    // Writes are succeeding: nothing to prove. Otherwise (idle, or the last commit failed) write.
    if (this.lastCommitError === undefined && this.now() - this.lastCommitAt < this.probeIntervalMs) return;
    await this.enqueue('probe', '/', undefined, undefined);
  }

  async syncHighWater(): Promise<void> {
    await this.highWater?.settle();
  }

  async backup(file: string): Promise<void> {
    if (this.closed) throw new StorageError('Closed', 'storage is closed');
    // 64 pages per step: the event loop (and so the writers) runs between steps.
    await this.db.backup(file, { progress: () => 64 });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    while (this.pending.length > 0) this.flush();
    this.closed = true;
    // Everything written is published (or failed) before the file closes.
    while (this.syncing) await this.syncing;
    for (const w of [...this.watchers, ...this.replaying]) w.fail(closedError());
    this.watchers.clear();
    this.replaying.clear();
    if (this.highWater) {
      await this.highWater.idle();
      if (this.failed) this.highWater.stop();
      else {
        this.wal?.syncNow();
        this.highWater.recordNowSync(this.revision);
      }
    }
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

  private enqueue<T>(kind: QueuedKind, key: string, value: unknown, expectedRevision: number | undefined): Promise<StoredObject<T>> {
    return new Promise<StoredObject<unknown> | undefined>((resolve, reject) => {
      if (this.closed) return reject(closedError());
      if (this.failed) return reject(this.failed);
      if (kind !== 'probe' && !isValidKey(key)) return reject(new StorageError('Internal', `invalid key ${JSON.stringify(key)}`, { key }));
      let text: string | undefined;
      if (kind === 'create' || kind === 'update') {
        // Serialise now: the caller may mutate the object before the batch commits.
        text = JSON.stringify(value);
        if (typeof text !== 'string') return reject(new StorageError('Internal', 'value is not JSON-serialisable', { key }));
        // The one place every write's serialised value passes: the etcd-sized bound (write-check.ts).
        const tooLarge = checkValueSize(key, text);
        if (tooLarge) return reject(tooLarge);
      }
      // Copied now for the same reason; the copy spares parsing the text back at commit.
      const copy = text === undefined || typeof value !== 'object' || value === null ? undefined : frozenJsonCopy(value);
      this.pending.push({ kind, key, text, copy: copy as object | undefined, expectedRevision, resolve, reject });
      this.scheduleFlush();
    }) as Promise<StoredObject<T>>;
  }

  /**
   * Flush on the next turn, unless a WAL sync is running: nothing committed now could be
   * published before the sync after it, so writes gather until this one completes and then share
   * one transaction (fewer, larger commits, less of the event loop spent in COMMIT; each write is
   * still published by the first sync that starts after it was queued).
   */
  private scheduleFlush(): void {
    if (this.flushTimer || this.syncing) return;
    this.flushTimer = setImmediate(() => this.flush());
  }

  /** Write the queued writes (at most MAX_BATCH) in one transaction; publish it now ('normal') or after the next WAL sync. */
  private flush(): void {
    if (this.flushTimer) clearImmediate(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending.length === 0) return;
    const queued = this.pending.length > MAX_BATCH ? this.pending.splice(0, MAX_BATCH) : this.pending;
    if (queued === this.pending) this.pending = [];
    // The rest of a very long queue commits on the next turn: one transaction never holds the event loop long.
    else this.flushTimer = setImmediate(() => this.flush());
    if (this.failed) {
      for (const w of queued) w.reject(this.failed);
      return;
    }
    const probes = queued.filter((w) => w.kind === 'probe');
    const batch = probes.length === 0 ? queued : queued.filter((w) => w.kind !== 'probe');
    // Probes commit on their own: a store too full for the probe may still take these writes.
    if (probes.length > 0 && !this.commitProbe(probes)) probes.length = 0;
    const outcomes: Written['outcomes'] = [];
    const events: EncodedEvent[] = [];
    let revision = this.written;
    try {
      if (batch.length > 0) {
        this.db.exec('BEGIN IMMEDIATE');
        for (const w of batch) {
          const cur = this.stmts.getCurrent.get(w.key);
          const failure = checkWrite(w.kind as WriteKind, w.key, cur, w.expectedRevision);
          if (failure) {
            outcomes.push(failure);
            continue;
          }
          revision++;
          const result = this.apply(w, cur, revision, events);
          outcomes.push(result);
        }
        if (revision !== this.written) this.stmts.setMeta.run(revision, 'revision');
        this.db.exec('COMMIT');
      }
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      const failure = toStorageError(err, 'commit failed');
      this.lastCommitError = failure;
      for (const w of batch) w.reject(failure);
      batch.length = 0;
      outcomes.length = 0;
    }
    if (batch.length === 0 && probes.length === 0) return;
    this.written = revision;
    // Probes settle with the batch, once its sync has made them durable too.
    for (const p of probes) {
      batch.push(p);
      outcomes.push(undefined);
    }
    const written: Written = { batch, outcomes, events, revision };
    if (this.durability === 'normal' || !this.wal) return this.publish(written);
    this.unsynced.push(written);
    this.startSync();
  }

  /** The readiness probe's own transaction; false (and the probes rejected) when it fails. */
  private commitProbe(probes: PendingWrite[]): boolean {
    try {
      this.db.exec('BEGIN IMMEDIATE');
      this.stmts.probe.run();
      this.stmts.probeRoom.run();
      this.stmts.probeRelease.run();
      this.db.exec('COMMIT');
      return true;
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      const failure = toStorageError(err, 'readiness probe write failed');
      this.lastCommitError = failure;
      for (const p of probes) p.reject(failure);
      return false;
    }
  }

  /** One WAL sync at a time; it covers every commit written before it started. */
  private startSync(): void {
    const wal = this.wal;
    if (this.syncing || this.unsynced.length === 0 || !wal) return;
    const covered = this.unsynced;
    this.unsynced = [];
    this.syncing = wal.sync().then(
      () => {
        this.syncing = undefined;
        for (const w of covered) this.publish(w);
        this.startSync();
        // Writes that queued while the disk was busy (scheduleFlush).
        if (this.pending.length > 0) this.scheduleFlush();
      },
      (err: unknown) => {
        this.syncing = undefined;
        this.fail(err, [...covered, ...this.unsynced]);
        // Queued writes are refused by the flush, as the store has failed.
        if (this.pending.length > 0) this.scheduleFlush();
      },
    );
  }

  /**
   * A failed fsync leaves the written commits neither durable nor safely undone (the kernel may
   * have dropped the dirty pages): refuse every further write and report unready until a restart
   * replays what really reached the disk.
   */
  private fail(err: unknown, lost: Written[]): void {
    this.failed = toStorageError(err, 'syncing the WAL failed; the store accepts no more writes until the server restarts');
    this.unsynced = [];
    this.highWater?.stop();
    for (const w of lost) for (const p of w.batch) p.reject(this.failed);
  }

  /** The commit is durable: readers, watchers and writers see it, in commit order. */
  private publish(w: Written): void {
    this.revision = w.revision;
    this.lastCommitError = undefined;
    this.lastCommitAt = this.now();
    for (const watcher of this.watchers) {
      for (const e of w.events) if (watcher.matches(e.key)) watcher.push(e);
    }
    this.onCommit?.({ writes: w.events.length, revision: w.revision });
    this.highWater?.note(w.revision);
    w.batch.forEach((p, i) => {
      const o = w.outcomes[i];
      if (o instanceof StorageError) p.reject(o);
      else p.resolve(o);
    });
  }

  private apply(w: PendingWrite, cur: Row | undefined, revision: number, events: EncodedEvent[]): StoredObject<unknown> {
    const { key } = w;
    if (w.kind === 'delete') {
      const last = cur as Row; // checkWrite guarantees a live row
      this.stmts.insertLog.run(revision, key, last.create_revision, last.revision, 1, last.value);
      this.stmts.deleteCurrent.run(key);
      const { value, inEvent } = sharedValue(key, last.value);
      events.push({ type: 'DELETED', key, revision, createRevision: last.create_revision, value: inEvent, prevValue: inEvent, size: last.value.length });
      return { key, value, createRevision: last.create_revision, modRevision: revision };
    }
    const text = w.text as string;
    const createRevision = cur ? cur.create_revision : revision;
    this.stmts.insertLog.run(revision, key, createRevision, cur ? cur.revision : 0, 0, text);
    this.stmts.upsertCurrent.run(key, revision);
    const { value, inEvent } = sharedValue(key, text, w.copy);
    const event: EncodedEvent = { type: cur ? 'MODIFIED' : 'ADDED', key, revision, createRevision, value: inEvent, size: text.length };
    if (cur) event.prevValue = cur.value;
    events.push(event);
    return { key, value, createRevision, modRevision: revision };
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
    this.stmts.setMeta.run(revision, 'compacted');
    this.compacted = revision;
    let lo = (this.stmts.minRevision.get()?.r ?? revision + 1) - 1;
    while (lo < revision) {
      if (this.closed) return; // the remaining rows are merely unreachable; a later compaction removes them
      const hi = Math.min(lo + this.compactChunk, revision);
      this.stmts.compactRange.run(lo, hi, revision);
      lo = hi;
      if (lo < revision) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}
