/**
 * Tables, prepared statements and row mapping of the SQLite store. See the note at the top of
 * sqlite.ts.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { decodeStored } from './sqlite-errors.ts';
import type { StoredObject } from './types.ts';
import type { EncodedEvent } from './watch-queue.ts';

export const SCHEMA_VERSION = 1;

/** Room a readiness probe needs: an ordinary large object. */
const PROBE_BYTES = 64 * 1024;

const DDL = `
CREATE TABLE IF NOT EXISTS log (
  revision        INTEGER PRIMARY KEY,
  key             TEXT    NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_revision   INTEGER NOT NULL,
  deleted         INTEGER NOT NULL,
  value           TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS log_key_revision ON log (key, revision);
CREATE TABLE IF NOT EXISTS current (
  key      TEXT PRIMARY KEY,
  revision INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS health (
  id  INTEGER PRIMARY KEY,
  pad BLOB NOT NULL
);
`;

/** A log row joined with nothing: what list, get and watch read. */
export interface Row {
  key: string;
  revision: number;
  create_revision: number;
  value: string;
}

export interface EventRow extends Row {
  deleted: number;
  prev_value: string | null;
}

/**
 * Range bounds: [start, end). An end of undefined means "no upper bound"; it is bound as a BLOB
 * because SQLite orders every TEXT value before every BLOB, so `key < X'00'` holds for all keys.
 */
export type End = string | Buffer;
export const NO_END: Buffer = Buffer.alloc(0);

export function createSchema(db: BetterSqlite3.Database): { revision: number; compacted: number } {
  // exec() runs SQL without creating statement wrappers.
  db.exec(DDL);
  const get = db.prepare<[string], { value: number }>('SELECT value FROM meta WHERE name = ?');
  const version = get.get('schema')?.value;
  if (version !== undefined && version !== SCHEMA_VERSION) {
    throw new Error(`unsupported storage schema version ${version} (this build reads ${SCHEMA_VERSION})`);
  }
  db.exec(`BEGIN;
    INSERT OR IGNORE INTO meta (name, value) VALUES ('schema', ${SCHEMA_VERSION});
    INSERT OR IGNORE INTO meta (name, value) VALUES ('revision', 0);
    INSERT OR IGNORE INTO meta (name, value) VALUES ('compacted', 0);
    INSERT OR IGNORE INTO meta (name, value) VALUES ('health', 0);
    COMMIT;`);
  return { revision: get.get('revision')?.value ?? 0, compacted: get.get('compacted')?.value ?? 0 };
}

const ROW = 'l.key AS key, l.revision AS revision, l.create_revision AS create_revision, l.value AS value';

export function prepareStatements(db: BetterSqlite3.Database) {
  const statements = {
    setMeta: db.prepare<[number, string]>('UPDATE meta SET value = ? WHERE name = ?'),
    // The readiness probe: a real write that changes no revision, and that needs PROBE_BYTES of
    // room (allocated and freed in the same transaction), so a store too full for an ordinary
    // object is not ready even though a one-row update would still fit.
    probe: db.prepare<[]>("UPDATE meta SET value = value + 1 WHERE name = 'health'"),
    probeRoom: db.prepare<[]>(`INSERT OR REPLACE INTO health (id, pad) VALUES (1, zeroblob(${PROBE_BYTES}))`),
    probeRelease: db.prepare<[]>('DELETE FROM health WHERE id = 1'),
    // A scalar subquery, not a join of current and log: the same row (current.key is unique, and
    // no current row gives no row either way), but the join was re-planned on every run (STAT4,
    // see getAt) and cost 20-25 µs against 3-5 µs for a 3.5 KB pod; every write's commit and
    // every GET of one object runs it.
    getCurrent: db.prepare<[string], Row>(
      'SELECT key, revision, create_revision, value FROM log WHERE revision = (SELECT revision FROM current WHERE key = ?)',
    ),
    insertLog: db.prepare<[number, string, number, number, number, string]>(
      'INSERT INTO log (revision, key, create_revision, prev_revision, deleted, value) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    upsertCurrent: db.prepare<[string, number]>(
      'INSERT INTO current (key, revision) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET revision = excluded.revision',
    ),
    deleteCurrent: db.prepare<[string]>('DELETE FROM current WHERE key = ?'),
    // One key as of a revision: while a commit is written but not yet synced, readers see the
    // state at the last synced revision, never a write that a crash could still take back.
    // The parameters are read through (SELECT ?): the bundled SQLite is built with STAT4, which
    // re-plans a statement whenever a parameter compared with an indexed column of log gets a new
    // value (about 20 µs a run); a subquery's value is not one the planner looks at, so the
    // statement keeps its plan (the same index search) and runs in about 2.5 µs.
    getAt: db.prepare<[string, number], Row & { deleted: number }>(
      'SELECT key, revision, create_revision, value, deleted FROM log WHERE key = (SELECT ?) AND revision <= (SELECT ?) ORDER BY revision DESC LIMIT 1',
    ),

    // Current state: the `current` table points at each live key's newest log row.
    listCurrent: db.prepare<[string, End, number], Row>(
      `SELECT ${ROW} FROM current c JOIN log l ON l.revision = c.revision
       WHERE c.key >= ? AND c.key < ? ORDER BY c.key LIMIT ?`,
    ),
    countCurrent: db.prepare<[string, End], { n: number }>('SELECT count(*) AS n FROM current WHERE key >= ? AND key < ?'),

    // State at an older revision: per key the newest log row at or before it, unless a delete.
    // (SQLite fills bare columns of a max() aggregate from the row holding the maximum, in HAVING
    // too.) One grouped walk of log_key_revision that stops at the LIMIT: filtering in an outer
    // query instead made SQLite sort the whole rest of the range for every page.
    listAt: db.prepare<[string, End, number, number], Row>(
      `SELECT key, max(revision) AS revision, create_revision, value FROM log
       WHERE key >= ? AND key < ? AND revision <= ? GROUP BY key HAVING deleted = 0 ORDER BY key LIMIT ?`,
    ),
    // What count() at an older revision subtracts from the current count (sqlite.ts countAsOf):
    // the keys of a range written after a revision (the log by revision: a recent one reads few
    // rows), and whether a key is live now.
    // (NOT INDEXED: DISTINCT would otherwise walk all of log_key_revision for its order.)
    keysWrittenAfter: db.prepare<[number, string, End], { key: string }>('SELECT DISTINCT key FROM log NOT INDEXED WHERE revision > ? AND key >= ? AND key < ?'),
    isCurrent: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM current WHERE key = ?'),
    countAt: db.prepare<[string, End, number], { n: number }>(
      `SELECT count(*) AS n FROM (
         SELECT max(revision), deleted FROM log WHERE key >= ? AND key < ? AND revision <= ? GROUP BY key
       ) WHERE deleted = 0`,
    ),

    // Walk the log by revision: watches usually start from a recent revision, so the revision
    // range is small while a key range may span the whole log. (Unary + keeps the planner off
    // the key index.)
    eventsAfter: db.prepare<[number, number, string, End], EventRow>(
      `SELECT ${ROW}, l.deleted AS deleted, p.value AS prev_value
       FROM log l LEFT JOIN log p ON p.revision = l.prev_revision AND l.prev_revision > 0
       WHERE l.revision > ? AND l.revision <= ? AND +l.key >= ? AND +l.key < ? ORDER BY l.revision`,
    ),

    minRevision: db.prepare<[], { r: number | null }>('SELECT min(revision) AS r FROM log'),
    // Drop rows in (lo, hi] superseded at `at`: deletes, and rows older than the key's newest
    // row at or before `at`. Chunks must run in ascending order (see compact in sqlite.ts).
    compactRange: db.prepare<[number, number, number]>(
      `DELETE FROM log WHERE revision > ? AND revision <= ? AND (deleted = 1 OR revision <
         (SELECT max(l2.revision) FROM log l2 WHERE l2.key = log.key AND l2.revision <= ?))`,
    ),
  };
  return statements;
}

export type Statements = ReturnType<typeof prepareStatements>;

export function toObject<T>(row: Row): StoredObject<T> {
  return { key: row.key, value: decodeStored<T>(row.key, row.value), createRevision: row.create_revision, modRevision: row.revision };
}

export function* mapRows<T>(rows: Iterable<Row>): Generator<StoredObject<T>> {
  for (const row of rows) yield toObject<T>(row);
}

export function toEvent(row: EventRow): EncodedEvent {
  if (row.deleted) {
    return { type: 'DELETED', key: row.key, revision: row.revision, createRevision: row.create_revision, value: row.value, prevValue: row.value };
  }
  const e: EncodedEvent = {
    type: row.create_revision === row.revision ? 'ADDED' : 'MODIFIED',
    key: row.key,
    revision: row.revision,
    createRevision: row.create_revision,
    value: row.value,
  };
  if (row.prev_value !== null) e.prevValue = row.prev_value;
  return e;
}
