/**
 * The SQLite store's write batcher (group commit). Writes are queued and the queue is flushed on
 * setImmediate (under 'full', not before the WAL sync in flight completes), so every write issued
 * in the same tick, or while the disk was busy, shares ONE transaction. Each write is checked
 * against the current row before it is applied, so it gets its own revision and its own outcome;
 * a write's promise settles only after its commit is durable.
 *
 * Durability 'full' (the default) syncs the WAL off the event loop (wal-sync.ts): SQLite runs
 * with synchronous=NORMAL, each COMMIT only writes its frames, and an fdatasync on the thread
 * pool makes them durable; one sync covers every commit written before it started, so commits
 * made while it runs share the next one. A commit is "written" when COMMIT returns and
 * "published" when its sync completes: only then do its events go to watchers, its promises
 * settle and the published revision move. Durability 'normal' publishes on COMMIT.
 */
import type Database from 'better-sqlite3';
import type { Row, Statements } from './sqlite-schema.ts';
import type { EncodedEvent } from './watch-queue.ts';
import { checkValueSize, checkWrite } from './write-check.ts';
import type { WriteKind } from './write-check.ts';
import { StorageError } from './types.ts';
import type { StoredObject } from './types.ts';
import type { HighWaterRecorder } from './high-water.ts';
import { isValidKey } from './key-range.ts';
import { decodeStored, toStorageError } from './sqlite-errors.ts';
import type { WalSync } from './wal-sync.ts';
import type { WalCheckpointer } from './sqlite-checkpoint.ts';
import { deepFreeze } from './deep-freeze.ts';
import { frozenJsonCopy } from './frozen-json-copy.ts';
import type { SqliteExpiry } from './sqlite-ttl.ts';

export type QueuedKind = WriteKind | 'probe';

interface PendingWrite {
  kind: QueuedKind;
  key: string;
  text?: string;
  /** The value as parsing `text` would give it, deep-frozen, when a plain copy could make it (frozen-json-copy.ts). */
  copy?: object;
  expectedRevision?: number;
  /** Seconds until the key expires (sqlite-ttl.ts), 0 for never. */
  ttlSeconds: number;
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

export interface GroupCommitOptions {
  db: Database.Database;
  stmts: Statements;
  durability: 'full' | 'normal';
  /** The revision the file holds. */
  revision: number;
  now: () => number;
  /** File-backed stores only. */
  wal?: WalSync;
  highWater?: HighWaterRecorder;
  checkpoints?: WalCheckpointer;
  /** Expiring keys, kept in each write's transaction (sqlite-ttl.ts). */
  expiry?: SqliteExpiry;
  /** A commit is durable: its events go to watchers (before its writers' promises settle). */
  onPublish: (events: EncodedEvent[], revision: number) => void;
}

/** Most writes in one group commit; a longer queue takes several turns. */
const MAX_BATCH = 1000;

export function closedError(): StorageError {
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

export class GroupCommit {
  /** Published: durable, visible to readers and watchers. */
  revision: number;
  /** Written to the WAL (>= revision). */
  written: number;
  /** Set when a WAL sync failed: what was written may or may not be on disk, so nothing more is. */
  failed: StorageError | undefined;
  lastCommitError: StorageError | undefined;
  lastCommitAt = -Infinity;
  private readonly opts: GroupCommitOptions;
  private pending: PendingWrite[] = [];
  private flushTimer: NodeJS.Immediate | undefined;
  /** Written commits waiting for the next WAL sync, and the sync in flight. */
  private unsynced: Written[] = [];
  private syncing: Promise<void> | undefined;
  /** A WAL checkpoint in flight: nothing is written until it settles (sqlite-checkpoint.ts). */
  private checkpointing: Promise<void> | undefined;
  private closed = false;

  constructor(opts: GroupCommitOptions) {
    this.opts = opts;
    this.revision = opts.revision;
    this.written = opts.revision;
  }

  /** A commit is written but not yet published: current reads must go through the log. */
  get unpublished(): boolean {
    return this.written !== this.revision;
  }

  /** Writes what is queued, refuses later writes, and settles once everything written is published (or failed). */
  async close(): Promise<void> {
    this.closed = true;
    while (this.checkpointing) await this.checkpointing;
    while (this.pending.length > 0) this.flush();
    while (this.syncing) await this.syncing;
  }

  enqueue<T>(kind: QueuedKind, key: string, value: unknown, expectedRevision: number | undefined, ttlSeconds = 0): Promise<StoredObject<T>> {
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
      this.pending.push({ kind, key, text, copy: copy as object | undefined, expectedRevision, ttlSeconds, resolve, reject });
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
    if (this.flushTimer || this.syncing || this.checkpointing) return;
    this.flushTimer = setImmediate(() => this.flush());
  }

  /** Write the queued writes (at most MAX_BATCH) in one transaction; publish it now ('normal') or after the next WAL sync. */
  private flush(): void {
    if (this.flushTimer) clearImmediate(this.flushTimer);
    this.flushTimer = undefined;
    // A checkpoint's copied pages are not yet durable: a write now could restart the WAL over them.
    if (this.pending.length === 0 || this.checkpointing) return;
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
    const { db, stmts } = this.opts;
    let revision = this.written;
    try {
      if (batch.length > 0) {
        db.exec('BEGIN IMMEDIATE');
        for (const w of batch) {
          const cur = stmts.getCurrent.get(w.key);
          const failure = checkWrite(w.kind as WriteKind, w.key, cur, w.expectedRevision);
          if (failure) {
            outcomes.push(failure);
            continue;
          }
          revision++;
          const result = this.apply(w, cur, revision, events);
          outcomes.push(result);
        }
        if (revision !== this.written) stmts.setMeta.run(revision, 'revision');
        db.exec('COMMIT');
      }
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK');
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
    if (events.length > 0) this.opts.checkpoints?.noteCommit(events.map((e) => e.size ?? 0));
    if (this.opts.durability === 'normal' || !this.opts.wal) {
      this.publish(written);
      return this.startCheckpoint();
    }
    this.unsynced.push(written);
    this.startSync();
  }

  /**
   * For a write outside the group commit (compaction's chunks): settles when no checkpoint runs,
   * so the caller writes in the same turn (sqlite-checkpoint.ts: no write between a checkpoint's
   * copy and its sync).
   */
  async writable(): Promise<void> {
    while (this.checkpointing) await this.checkpointing;
  }

  /** A write outside the group commit changed about `pages` pages: they count toward the next checkpoint. */
  wroteOutside(pages: number): void {
    this.opts.checkpoints?.notePages(pages);
    this.startCheckpoint();
  }

  /** When enough was written and every written commit is published (sqlite-checkpoint.ts). */
  private startCheckpoint(): void {
    const checkpoints = this.opts.checkpoints;
    if (!checkpoints?.due || this.closed || this.failed || this.syncing || this.checkpointing || this.unsynced.length > 0) return;
    this.checkpointing = checkpoints.run().then(
      () => {
        this.checkpointing = undefined;
        if (this.pending.length > 0) this.scheduleFlush();
      },
      (err: unknown) => {
        this.checkpointing = undefined;
        this.fail(err, []);
        if (this.pending.length > 0) this.scheduleFlush();
      },
    );
  }

  /** The readiness probe's own transaction; false (and the probes rejected) when it fails. */
  private commitProbe(probes: PendingWrite[]): boolean {
    const { db, stmts } = this.opts;
    try {
      db.exec('BEGIN IMMEDIATE');
      stmts.probe.run();
      stmts.probeRoom.run();
      stmts.probeRelease.run();
      db.exec('COMMIT');
      return true;
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK');
      const failure = toStorageError(err, 'readiness probe write failed');
      this.lastCommitError = failure;
      for (const p of probes) p.reject(failure);
      return false;
    }
  }

  /** One WAL sync at a time; it covers every commit written before it started. */
  private startSync(): void {
    const wal = this.opts.wal;
    if (this.syncing || this.unsynced.length === 0 || !wal) return;
    const covered = this.unsynced;
    this.unsynced = [];
    this.syncing = wal.sync().then(
      () => {
        this.syncing = undefined;
        for (const w of covered) this.publish(w);
        this.startSync();
        this.startCheckpoint();
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
    this.opts.highWater?.stop();
    for (const w of lost) for (const p of w.batch) p.reject(this.failed);
  }

  /** The commit is durable: readers, watchers and writers see it, in commit order. */
  private publish(w: Written): void {
    this.revision = w.revision;
    this.lastCommitError = undefined;
    this.lastCommitAt = this.opts.now();
    this.opts.onPublish(w.events, w.revision);
    this.opts.highWater?.note(w.revision);
    w.batch.forEach((p, i) => {
      const o = w.outcomes[i];
      if (o instanceof StorageError) p.reject(o);
      else p.resolve(o);
    });
  }

  private apply(w: PendingWrite, cur: Row | undefined, revision: number, events: EncodedEvent[]): StoredObject<unknown> {
    const { key } = w;
    const { stmts } = this.opts;
    if (w.kind === 'delete') {
      const last = cur as Row; // checkWrite guarantees a live row
      stmts.insertLog.run(revision, key, last.create_revision, last.revision, 1, last.value);
      stmts.deleteCurrent.run(key);
      this.opts.expiry?.deleted(key);
      const { value, inEvent } = sharedValue(key, last.value);
      events.push({ type: 'DELETED', key, revision, createRevision: last.create_revision, value: inEvent, prevValue: inEvent, size: last.value.length });
      return { key, value, createRevision: last.create_revision, modRevision: revision };
    }
    const text = w.text as string;
    const createRevision = cur ? cur.create_revision : revision;
    stmts.insertLog.run(revision, key, createRevision, cur ? cur.revision : 0, 0, text);
    stmts.upsertCurrent.run(key, revision);
    this.opts.expiry?.written(key, revision, w.ttlSeconds);
    const { value, inEvent } = sharedValue(key, text, w.copy);
    const event: EncodedEvent = { type: cur ? 'MODIFIED' : 'ADDED', key, revision, createRevision, value: inEvent, size: text.length };
    if (cur) event.prevValue = cur.value;
    events.push(event);
    return { key, value, createRevision, modRevision: revision };
  }
}
