/**
 * Opening the SQLite store's file: the connection's pragmas, the schema, and beside the file the
 * revision high-water mark (high-water.ts: refuses a store that lost commits), the data
 * directory's checks (data-dir.ts) and our own descriptor of the WAL for syncing it (wal-sync.ts).
 */
import Database from 'better-sqlite3';
import { createSchema, prepareStatements } from './sqlite-schema.ts';
import type { Statements } from './sqlite-schema.ts';
import type { SqliteStoreOptions } from './sqlite-store-types.ts';
import { prepareDatabaseFiles } from './data-dir.ts';
import { checkHighWater, HighWaterError, highWaterPath, HighWaterRecorder, readHighWater, writeHighWaterSync } from './high-water.ts';
import { toStorageError } from './sqlite-errors.ts';
import { WalSync } from './wal-sync.ts';
import { WalCheckpointer } from './sqlite-checkpoint.ts';
import type { StorageError } from './types.ts';

export interface OpenedDatabase {
  db: Database.Database;
  stmts: Statements;
  /** The revision and compacted revision the file holds. */
  revision: number;
  compacted: number;
  /** File-backed stores only. */
  wal?: WalSync;
  highWater?: HighWaterRecorder;
  checkpoints?: WalCheckpointer;
}

/**
 * `onHighWaterError` hears a failed recording of the mark (the store reports unready until a
 * commit succeeds). Throws a StorageError, or a HighWaterError for a store that lost commits.
 */
export function openDatabase(opts: SqliteStoreOptions, onHighWaterError: (err: StorageError) => void): OpenedDatabase {
  const file = opts.path !== ':memory:' && opts.path !== '';
  if (file) prepareDatabaseFiles(opts.path);
  const durability = opts.durability ?? 'full';
  // No busy wait: under the exclusive lock below nobody else may hold the file, so fail fast.
  const db = new Database(opts.path, { timeout: 0 });
  let wal: WalSync | undefined;
  let dbFile: WalSync | undefined;
  try {
    // Exclusive: a second process opening the same data dir would fork the revision counter.
    db.exec('PRAGMA locking_mode = EXCLUSIVE');
    db.exec('PRAGMA journal_mode = WAL');
    // NORMAL in both modes: under 'full' the WAL is synced by us, off the event loop (sqlite.ts).
    db.exec('PRAGMA synchronous = NORMAL');
    if (opts.quotaBytes !== undefined) {
      const pageSize = db.pragma('page_size', { simple: true }) as number;
      db.pragma(`max_page_count = ${Math.max(1, Math.floor(opts.quotaBytes / pageSize))}`);
    }
    const meta = createSchema(db);
    const stmts = prepareStatements(db);
    if (!file) return { db, stmts, revision: meta.revision, compacted: meta.compacted };
    const hwmPath = highWaterPath(opts.path);
    const mark = readHighWater(hwmPath);
    checkHighWater(hwmPath, opts.path, meta.revision, mark);
    wal = new WalSync(`${opts.path}-wal`);
    // A new store, or one from a build without the mark: record where it stands now.
    if (mark === undefined) {
      wal.syncNow();
      writeHighWaterSync(hwmPath, meta.revision);
    }
    const synced = wal;
    const highWater = new HighWaterRecorder(hwmPath, Math.max(mark ?? 0, meta.revision), {
      intervalMs: opts.highWaterIntervalMs,
      now: opts.now ?? Date.now,
      // Under 'normal' commits are not synced one by one: sync them before naming them durable.
      beforeRecord: durability === 'normal' ? () => synced.sync() : undefined,
      onError: (err) => onHighWaterError(toStorageError(err, 'recording the revision high-water mark failed')),
    });
    // The database file's own descriptor, for syncing it after a checkpoint off the event loop.
    dbFile = new WalSync(opts.path);
    const checkpoints = new WalCheckpointer(db, wal, dbFile, opts.walCheckpointBytes);
    return { db, stmts, revision: meta.revision, compacted: meta.compacted, wal, highWater, checkpoints };
  } catch (err) {
    wal?.close();
    dbFile?.close();
    db.close();
    throw err instanceof HighWaterError ? err : toStorageError(err, `opening ${opts.path}`);
  }
}
