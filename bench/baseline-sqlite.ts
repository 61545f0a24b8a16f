import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { configMapBody } from './shapes.ts';
import { round, summarize, type LatencySummary } from './stats.ts';

/**
 * better-sqlite3 12 on Node 24 aborts the process when an idle-time GC finalises a Statement
 * (`Assertion failed: (env) != nullptr`); 13 fixes it. Keeping the few wrappers reachable and
 * avoiding db.pragma()/db.transaction() (hidden statements) makes this file safe with either.
 */
const retained: object[] = [];
function retain<T extends object>(native: T): T {
  retained.push(native);
  return native;
}

export interface SqliteInsertResult {
  rowsPerTransaction: number;
  transactions: number;
  rows: number;
  durationMs: number;
  rowsPerSec: number;
  commitLatencyMs: LatencySummary;
}

export interface SqliteBaseline {
  journalMode: string;
  synchronous: string;
  singleRow: SqliteInsertResult;
  batched: SqliteInsertResult;
}

/**
 * Raw better-sqlite3 writes shaped like the store's: one log row plus one `current` upsert per
 * object, WAL, synchronous=FULL (an fsync per commit, as durability 'full'). Single-row
 * transactions are the floor of a durable create without group commit; batches show what one
 * fsync per group can reach.
 */
export function runSqliteBaseline(dir: string, o: { durationMs: number; warmupMs: number; batchSize: number }): SqliteBaseline {
  const db = retain(new Database(join(dir, 'baseline.db')));
  try {
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = FULL');
    db.exec(`CREATE TABLE log (revision INTEGER PRIMARY KEY, key TEXT NOT NULL, create_revision INTEGER NOT NULL,
               prev_revision INTEGER NOT NULL, deleted INTEGER NOT NULL, value TEXT NOT NULL);
             CREATE INDEX log_key_revision ON log (key, revision);
             CREATE TABLE current (key TEXT PRIMARY KEY, revision INTEGER NOT NULL) WITHOUT ROWID;`);
    const insertLog = retain(db.prepare('INSERT INTO log (revision, key, create_revision, prev_revision, deleted, value) VALUES (?, ?, ?, ?, 0, ?)'));
    const upsert = retain(db.prepare('INSERT INTO current (key, revision) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET revision = excluded.revision'));
    let revision = 0;
    const journalMode = retain(db.prepare<[], { journal_mode: string }>('PRAGMA journal_mode'));
    const synchronous = retain(db.prepare<[], { synchronous: number }>('PRAGMA synchronous'));
    const writeBatch = (n: number, tag: string) => {
      db.exec('BEGIN');
      try {
        for (let i = 0; i < n; i++) {
          const rev = ++revision;
          const name = `${tag}-${rev}`;
          const key = `/registry/configmaps/bench/${name}`;
          insertLog.run(rev, key, rev, 0, configMapBody('bench', name));
          upsert.run(key, rev);
        }
        db.exec('COMMIT');
      } catch (err) {
        db.exec('ROLLBACK');
        throw err;
      }
    };
    const measure = (rowsPerTransaction: number, tag: string): SqliteInsertResult => {
      const warmEnd = performance.now() + o.warmupMs;
      for (let i = 0; i < 100_000 && performance.now() < warmEnd; i++) writeBatch(rowsPerTransaction, tag);
      const latencies: number[] = [];
      const start = performance.now();
      const end = start + o.durationMs;
      for (let i = 0; i < 1_000_000 && performance.now() < end; i++) {
        const t0 = performance.now();
        writeBatch(rowsPerTransaction, tag);
        latencies.push(performance.now() - t0);
      }
      const ms = performance.now() - start;
      const rows = latencies.length * rowsPerTransaction;
      return {
        rowsPerTransaction,
        transactions: latencies.length,
        rows,
        durationMs: round(ms, 0),
        rowsPerSec: round((rows / ms) * 1000, 1),
        commitLatencyMs: summarize(latencies),
      };
    };
    return {
      journalMode: journalMode.get()?.journal_mode ?? 'unknown',
      synchronous: ['OFF', 'NORMAL', 'FULL', 'EXTRA'][synchronous.get()?.synchronous ?? -1] ?? 'unknown',
      singleRow: measure(1, 'single'),
      batched: measure(o.batchSize, 'batch'),
    };
  } finally {
    db.close();
  }
}
