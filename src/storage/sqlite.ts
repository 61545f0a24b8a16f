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
 * Group commit: writes are queued and the queue is flushed on setImmediate, so every write
 * issued in the same tick shares ONE transaction and one fsync (WAL, synchronous=FULL by
 * default). Each write is checked against the current row before it is applied, so it gets
 * its own revision and its own outcome; a write's promise settles only after the commit.
 *
 * better-sqlite3 is synchronous, so each flush, each watch catch-up and each compaction chunk
 * runs to completion without interleaving: a watch reads the log and registers in the same
 * turn, which is what makes the hand-over from catch-up to live events gap-free.
 */
import Database from 'better-sqlite3';
import { isValidKey, prefixEnd } from './key-range.ts';
import { decodeContinue, encodeContinue } from './continue-token.ts';
import { pageLimit, takePage } from './page.ts';
import { createSchema, mapRows, NO_END, prepareStatements, toEvent, toObject } from './sqlite-schema.ts';
import type { End, Row, Statements } from './sqlite-schema.ts';
import { QueuedWatcher } from './watch-queue.ts';
import type { EncodedEvent } from './watch-queue.ts';
import { checkWrite } from './write-check.ts';
import type { WriteKind } from './write-check.ts';
import { StorageError } from './types.ts';
import type { ListOptions, ListResult, Store, StoredObject, Watcher, WatchHandlers } from './types.ts';

export interface SqliteStoreOptions {
  /** Database file, or ':memory:'. */
  path: string;
  /** 'full' (default): fsync on every commit. 'normal': survives a process crash, not power loss. */
  durability?: 'full' | 'normal';
  /** Called after every group commit (metrics, tests). */
  onCommit?: (info: { writes: number; revision: number }) => void;
  /** Revisions compacted per transaction (default 10,000); the event loop runs between chunks. */
  compactChunk?: number;
}

interface PendingWrite {
  kind: WriteKind;
  key: string;
  text?: string;
  expectedRevision?: number;
  resolve: (obj: StoredObject<unknown>) => void;
  reject: (err: Error) => void;
}

export function openSqliteStore(opts: SqliteStoreOptions): Store {
  const chunk = opts.compactChunk;
  if (chunk !== undefined && (!Number.isSafeInteger(chunk) || chunk < 1)) {
    throw new RangeError(`compactChunk must be a positive integer, got ${chunk}`);
  }
  return new SqliteStore(opts);
}

function rangeEnd(prefix: string): End {
  return prefixEnd(prefix) ?? NO_END;
}

function closedError(): StorageError {
  return new StorageError('Closed', 'storage is closed');
}

class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly stmts: Statements;
  private readonly onCommit?: SqliteStoreOptions['onCommit'];
  private readonly compactChunk: number;
  private revision: number;
  private compacted: number;
  private pending: PendingWrite[] = [];
  private flushTimer: NodeJS.Immediate | undefined;
  private readonly watchers = new Set<QueuedWatcher<unknown>>();
  private compaction: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(opts: SqliteStoreOptions) {
    // No busy wait: under the exclusive lock below nobody else may hold the file, so fail fast.
    this.db = new Database(opts.path, { timeout: 0 });
    try {
      // Exclusive: a second process opening the same data dir would fork the revision counter.
      this.db.exec('PRAGMA locking_mode = EXCLUSIVE');
      this.db.exec('PRAGMA journal_mode = WAL');
      this.db.exec(`PRAGMA synchronous = ${opts.durability === 'normal' ? 'NORMAL' : 'FULL'}`);
      const meta = createSchema(this.db);
      this.revision = meta.revision;
      this.compacted = meta.compacted;
      this.stmts = prepareStatements(this.db);
    } catch (err) {
      this.db.close();
      throw err;
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

  async get<T = unknown>(key: string): Promise<StoredObject<T> | undefined> {
    this.assertOpen();
    const row = this.stmts.getCurrent.get(key);
    return row ? toObject<T>(row) : undefined;
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
    const end = rangeEnd(prefix);
    const limit = pageLimit(opts.limit);
    const atCurrent = revision === this.revision;
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
    return this.stmts.countCurrent.get(prefix, rangeEnd(prefix))?.n ?? 0;
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
    const watcher = new QueuedWatcher<T>(prefix, fromRevision, handlers, (w) => this.watchers.delete(w as QueuedWatcher<unknown>));
    // Catch-up and registration happen in this same synchronous turn: no commit can slip between.
    if (fromRevision < this.revision) {
      for (const row of this.stmts.eventsAfter.all(fromRevision, prefix, rangeEnd(prefix))) watcher.push(toEvent(row));
    }
    this.watchers.add(watcher as QueuedWatcher<unknown>);
    return watcher;
  }

  compact(revision: number): Promise<void> {
    // Serialised: two chunked compactions must not interleave.
    const run = this.compaction.then(() => this.runCompaction(revision));
    this.compaction = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.pending.length > 0) this.flush();
    this.closed = true;
    for (const w of [...this.watchers]) w.fail(closedError());
    this.watchers.clear();
    this.db.close();
  }

  private assertOpen(): void {
    if (this.closed) throw closedError();
  }

  private assertReadable(revision: number): void {
    if (revision > this.revision) {
      throw new StorageError('FutureRevision', `revision ${revision} is newer than the current revision ${this.revision}`, {
        revision: this.revision,
      });
    }
    if (revision < this.compacted) {
      throw new StorageError('Compacted', `revision ${revision} has been compacted`, { revision: this.compacted });
    }
  }

  private enqueue<T>(kind: WriteKind, key: string, value: unknown, expectedRevision: number | undefined): Promise<StoredObject<T>> {
    return new Promise<StoredObject<unknown>>((resolve, reject) => {
      if (this.closed) return reject(closedError());
      if (!isValidKey(key)) return reject(new StorageError('Internal', `invalid key ${JSON.stringify(key)}`, { key }));
      let text: string | undefined;
      if (kind !== 'delete') {
        // Serialise now: the caller may mutate the object before the batch commits.
        text = JSON.stringify(value);
        if (typeof text !== 'string') return reject(new StorageError('Internal', 'value is not JSON-serialisable', { key }));
      }
      this.pending.push({ kind, key, text, expectedRevision, resolve, reject });
      this.flushTimer ??= setImmediate(() => this.flush());
    }) as Promise<StoredObject<T>>;
  }

  /** Commit every queued write in one transaction, then publish events, then settle promises. */
  private flush(): void {
    if (this.flushTimer) clearImmediate(this.flushTimer);
    this.flushTimer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const outcomes: Array<StoredObject<unknown> | StorageError> = [];
    const events: EncodedEvent[] = [];
    let revision = this.revision;
    try {
      this.db.exec('BEGIN IMMEDIATE');
      for (const w of batch) {
        const cur = this.stmts.getCurrent.get(w.key);
        const failure = checkWrite(w.kind, w.key, cur, w.expectedRevision);
        if (failure) {
          outcomes.push(failure);
          continue;
        }
        revision++;
        const result = this.apply(w, cur, revision, events);
        outcomes.push(result);
      }
      if (revision !== this.revision) this.stmts.setMeta.run(revision, 'revision');
      this.db.exec('COMMIT');
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      const failure = new StorageError('Internal', `commit failed: ${(err as Error).message}`);
      for (const w of batch) w.reject(failure);
      return;
    }
    this.revision = revision;
    for (const w of this.watchers) {
      for (const e of events) if (w.matches(e.key)) w.push(e);
    }
    this.onCommit?.({ writes: events.length, revision });
    batch.forEach((w, i) => {
      const o = outcomes[i];
      if (o instanceof StorageError) w.reject(o);
      else w.resolve(o);
    });
  }

  private apply(w: PendingWrite, cur: Row | undefined, revision: number, events: EncodedEvent[]): StoredObject<unknown> {
    const { key } = w;
    if (w.kind === 'delete') {
      const last = cur as Row; // checkWrite guarantees a live row
      this.stmts.insertLog.run(revision, key, last.create_revision, last.revision, 1, last.value);
      this.stmts.deleteCurrent.run(key);
      events.push({ type: 'DELETED', key, revision, createRevision: last.create_revision, value: last.value, prevValue: last.value });
      return { key, value: JSON.parse(last.value), createRevision: last.create_revision, modRevision: revision };
    }
    const text = w.text as string;
    const createRevision = cur ? cur.create_revision : revision;
    this.stmts.insertLog.run(revision, key, createRevision, cur ? cur.revision : 0, 0, text);
    this.stmts.upsertCurrent.run(key, revision);
    const event: EncodedEvent = { type: cur ? 'MODIFIED' : 'ADDED', key, revision, createRevision, value: text };
    if (cur) event.prevValue = cur.value;
    events.push(event);
    return { key, value: JSON.parse(text), createRevision, modRevision: revision };
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
