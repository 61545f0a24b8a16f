/**
 * Keys that expire in the SQLite store (WriteOptions.ttlSeconds; etcd does this with leases).
 *
 * Table `expiry` (key, expires_at in ms of the store's clock, revision of the write that set it)
 * is written in the same transaction as the key's log row (the group commit calls written() and
 * deleted()), so a restart keeps every expiry and a key's row always matches its latest write: an
 * update with a TTL moves it, one without removes it, a delete removes it.
 *
 * The sweeper deletes due keys through the store's ordinary delete, guarded by the revision that
 * set the expiry (an update racing the sweep wins: its Conflict is ignored), so each expiry is one
 * revision and one DELETED watch event, compacted as any delete. A pass takes at most `batch` keys
 * (bounded work per turn); a pass that found a full batch runs the next one at once.
 *
 * The table is created by `CREATE TABLE IF NOT EXISTS` on open, so a store made by an older build
 * gains it without a schema version change (an older build opening a newer file ignores it: its
 * keys then never expire, which loses nothing).
 */
import type Database from 'better-sqlite3';
import { StorageError } from './types.ts';

const DDL = `
CREATE TABLE IF NOT EXISTS expiry (
  key        TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL,
  revision   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS expiry_at ON expiry (expires_at);
`;

export interface DueKey {
  key: string;
  revision: number;
}

export class SqliteExpiry {
  private readonly now: () => number;
  private readonly upsert: Database.Statement<[string, number, number]>;
  private readonly remove: Database.Statement<[string]>;
  private readonly dueStmt: Database.Statement<[number, number], DueKey>;
  /**
   * Whether the table may hold rows: until a key is given a TTL, a write without one skips the
   * delete of its row. Never reset (a rolled-back transaction could make a count wrong).
   */
  private any: boolean;

  constructor(db: Database.Database, now: () => number) {
    this.now = now;
    db.exec(DDL);
    this.upsert = db.prepare(
      'INSERT INTO expiry (key, expires_at, revision) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at, revision = excluded.revision',
    );
    this.remove = db.prepare('DELETE FROM expiry WHERE key = ?');
    this.dueStmt = db.prepare('SELECT key, revision FROM expiry WHERE expires_at <= ? ORDER BY expires_at LIMIT ?');
    this.any = db.prepare('SELECT 1 FROM expiry LIMIT 1').get() !== undefined;
  }

  /** In the write's transaction: the key was created or updated at `revision`, expiring after ttlSeconds (0: never). */
  written(key: string, revision: number, ttlSeconds: number): void {
    if (ttlSeconds > 0) {
      this.any = true;
      this.upsert.run(key, this.now() + ttlSeconds * 1000, revision);
    } else this.deleted(key);
  }

  /** In the write's transaction: the key is gone (or no longer expires). */
  deleted(key: string): void {
    if (this.any) this.remove.run(key);
  }

  /** Keys whose expiry has passed, soonest first, at most `limit`. */
  due(limit: number): DueKey[] {
    if (!this.any) return [];
    return this.dueStmt.all(this.now(), limit);
  }
}

export interface ExpirySweeperOptions {
  expiry: SqliteExpiry;
  /** The store's delete, guarded by the revision that set the expiry. */
  del: (key: string, expectedRevision: number) => Promise<unknown>;
  /** Between passes (default 1,000 ms). */
  intervalMs?: number;
  /** Keys per pass (default 500). */
  batch?: number;
  onError?: (err: unknown) => void;
}

/** Deletes due keys every interval; sweep() runs a pass now (tests with a fake clock). */
export class ExpirySweeper {
  private readonly opts: ExpirySweeperOptions;
  private readonly batch: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private stopped = false;

  constructor(opts: ExpirySweeperOptions) {
    this.opts = opts;
    this.batch = opts.batch ?? 500;
    this.timer = setInterval(() => void this.sweep().catch((err) => opts.onError?.(err)), opts.intervalMs ?? 1000);
    this.timer.unref();
  }

  /** Deletes every key due now (in passes of `batch`); the number deleted. One sweep at a time. */
  sweep(): Promise<number> {
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(): Promise<number> {
    let deleted = 0;
    while (!this.stopped) {
      const due = this.opts.expiry.due(this.batch);
      const outcomes = await Promise.allSettled(due.map((d) => this.opts.del(d.key, d.revision)));
      let pass = 0;
      for (const o of outcomes) {
        if (o.status === 'fulfilled') pass++;
        // Renewed (Conflict) or deleted (NotFound) since: its row moved or went with that write.
        else if (!(o.reason instanceof StorageError && (o.reason.code === 'Conflict' || o.reason.code === 'NotFound'))) throw o.reason;
      }
      deleted += pass;
      // Another full batch may be due; a pass that deleted nothing waits for the next interval.
      if (due.length < this.batch || pass === 0) break;
    }
    return deleted;
  }

  /** No more passes (a running one ends after the deletes it has asked for). */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
