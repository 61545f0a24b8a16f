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
 * keys then never expire, which loses nothing). `ttl` (the seconds the expiry was set with, 0 when
 * a build before it wrote the row) is added to a table made without it.
 *
 * Expiries are wall-clock times, so a restored snapshot would find them all passed. etcd's lessor
 * instead starts every lease's full TTL again when it recovers and is promoted (Lease.refresh:
 * now + extend + TTL, or the last checkpointed remaining TTL), so `portcullis snapshot restore`
 * calls refreshExpiries(): each restored expiry is its TTL from the restore.
 */
import type Database from 'better-sqlite3';
import { StorageError } from './types.ts';

const DDL = `
CREATE TABLE IF NOT EXISTS expiry (
  key        TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL,
  revision   INTEGER NOT NULL,
  ttl        INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS expiry_at ON expiry (expires_at);
`;

/** Creates the table, or adds `ttl` to one an earlier build made. */
function createExpiryTable(db: Database.Database): void {
  db.exec(DDL);
  const columns = db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('expiry')").all();
  if (!columns.some((c) => c.name === 'ttl')) db.exec('ALTER TABLE expiry ADD COLUMN ttl INTEGER NOT NULL DEFAULT 0');
}

/**
 * A restored snapshot's expiries start again: each is its TTL from `now`, as etcd's lessor gives
 * every recovered lease its TTL again; a row written before `ttl` was kept gets
 * fallbackTtlSeconds. Nothing to do for a store without the table. Returns the rows refreshed.
 */
export function refreshExpiries(db: Database.Database, now: number, fallbackTtlSeconds: number): number {
  if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'expiry'").get() === undefined) return 0;
  createExpiryTable(db);
  return db.prepare<[number, number]>('UPDATE expiry SET expires_at = ? + (CASE WHEN ttl > 0 THEN ttl ELSE ? END) * 1000').run(now, fallbackTtlSeconds).changes;
}

/** Distinct prefixes tracked; past this many, every write without a TTL deletes its row again. */
export const MAX_EXPIRY_PREFIXES = 64;

/**
 * The part of a key up to its fourth '/', a built-in resource's ('/registry/core/events/'; a custom
 * resource's group, '/registry/_customresources/<group>/'), or up to its last one ('/e/' of
 * '/e/a'); '' (every key) for a key with no '/'.
 */
export function expiryPrefix(key: string): string {
  let at = -1;
  for (let n = 0, i = key.indexOf('/'); i >= 0 && n < 4; n++, i = key.indexOf('/', i + 1)) at = i;
  return key.slice(0, at + 1);
}

/**
 * The least string past every key that starts with `prefix` (ending in '/', whose successor
 * '0' is one byte too under SQLite's binary order), or undefined for '' (all keys).
 */
function prefixEnd(prefix: string): string | undefined {
  return prefix === '' ? undefined : `${prefix.slice(0, -1)}0`;
}

export interface DueKey {
  key: string;
  revision: number;
}

export class SqliteExpiry {
  private readonly now: () => number;
  private readonly upsert: Database.Statement<[string, number, number, number]>;
  private readonly remove: Database.Statement<[string]>;
  private readonly dueStmt: Database.Statement<[number, number], DueKey>;
  private readonly giveStmt: Database.Statement<[number, number, string, number]>;
  /**
   * Whether the table may hold rows: until a key is given a TTL, a write without one skips the
   * delete of its row. Never reset (a rolled-back transaction could make a count wrong).
   */
  private any: boolean;
  /**
   * The key prefixes (expiryPrefix) under which the table may hold rows, or undefined for any key:
   * a write without a TTL elsewhere skips the delete of its row too. Once Events expire, that is a
   * pod's create, binding and status writes (issue 12: a statement each). Only ever grows, like `any`.
   */
  private prefixes: Set<string> | undefined = new Set();

  constructor(db: Database.Database, now: () => number) {
    this.now = now;
    createExpiryTable(db);
    this.upsert = db.prepare(
      'INSERT INTO expiry (key, expires_at, revision, ttl) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at, revision = excluded.revision, ttl = excluded.ttl',
    );
    this.remove = db.prepare('DELETE FROM expiry WHERE key = ?');
    this.dueStmt = db.prepare('SELECT key, revision FROM expiry WHERE expires_at <= ? ORDER BY expires_at LIMIT ?');
    // Only a live key still at the revision read, and only one without an expiry (a write's own wins).
    this.giveStmt = db.prepare(
      'INSERT INTO expiry (key, expires_at, revision, ttl) SELECT key, ?, revision, ? FROM current WHERE key = ? AND revision = ? ON CONFLICT (key) DO NOTHING',
    );
    this.any = db.prepare('SELECT 1 FROM expiry LIMIT 1').get() !== undefined;
    // The prefixes of the rows a store already holds: one index seek per prefix, past all its keys.
    const first = db.prepare<[string], { key: string }>('SELECT key FROM expiry WHERE key >= ? ORDER BY key LIMIT 1');
    let from: string | undefined = '';
    while (from !== undefined && this.prefixes) {
      const row = first.get(from);
      if (!row) break;
      const p = expiryPrefix(row.key);
      this.note(p);
      from = prefixEnd(p);
    }
  }

  /** Rows may exist under `prefix` from now on. */
  private note(prefix: string): void {
    if (!this.prefixes || this.prefixes.has(prefix)) return;
    if (this.prefixes.size >= MAX_EXPIRY_PREFIXES) this.prefixes = undefined;
    else this.prefixes.add(prefix);
  }

  /** Whether the table may hold a row for `key`. */
  private mayHave(key: string): boolean {
    if (!this.any) return false;
    if (!this.prefixes) return true;
    for (const p of this.prefixes) if (key.startsWith(p)) return true;
    return false;
  }

  /**
   * Outside any write (sqlite-unexpiring.ts): gives `key` an expiry ttlSeconds from now (0: due
   * now) if it is live at `revision` and has none. Whether it was given.
   */
  give(key: string, revision: number, ttlSeconds: number): boolean {
    this.any = true;
    this.note(expiryPrefix(key));
    // The ttl kept for a restore (refreshExpiries) is at least a second: 0 there means unknown.
    return this.giveStmt.run(this.now() + ttlSeconds * 1000, Math.max(1, ttlSeconds), key, revision).changes > 0;
  }

  /** In the write's transaction: the key was created or updated at `revision`, expiring after ttlSeconds (0: never). */
  written(key: string, revision: number, ttlSeconds: number): void {
    if (ttlSeconds > 0) {
      this.any = true;
      this.note(expiryPrefix(key));
      this.upsert.run(key, this.now() + ttlSeconds * 1000, revision, ttlSeconds);
    } else this.deleted(key);
  }

  /** In the write's transaction: the key is gone (or no longer expires). */
  deleted(key: string): void {
    if (this.mayHave(key)) this.remove.run(key);
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
