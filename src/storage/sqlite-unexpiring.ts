/**
 * UnexpiringKeys on the SQLite store: live keys (`current`) with no row in `expiry`, read a page at
 * a time, and given one (sqlite-ttl.ts SqliteExpiry.give) in one transaction per batch. A page
 * examines at most `limit` keys, so a prefix whose keys all have an expiry costs one bounded index
 * read per page, not one long scan. The cursor is the key after the last one examined.
 */
import type Database from 'better-sqlite3';
import type { SqliteExpiry } from './sqlite-ttl.ts';
import { decodeStored } from './sqlite-errors.ts';
import { rangeEnd } from './sqlite-watchers.ts';
import type { End } from './sqlite-schema.ts';
import type { ExpiryGrant, UnexpiringKeys, UnexpiringPage } from './unexpiring-keys.ts';

interface ExaminedRow {
  key: string;
  revision: number;
  create_revision: number;
  /** Only for a key without an expiry. */
  value: string | null;
}

export interface SqliteUnexpiringOptions {
  db: Database.Database;
  expiry: SqliteExpiry;
  /** Before a batch of gives: the store is open and no WAL checkpoint runs (GroupCommit.writable). */
  writable: () => Promise<void>;
  /** After one: rows written outside the group commit count toward the next checkpoint. */
  wrote: (rows: number) => void;
}

export function sqliteUnexpiring(opts: SqliteUnexpiringOptions): UnexpiringKeys {
  const examine = opts.db.prepare<[string, End, number], ExaminedRow>(
    `SELECT c.key AS key, c.revision AS revision, l.create_revision AS create_revision,
            CASE WHEN e.key IS NULL THEN l.value END AS value
     FROM (SELECT key, revision FROM current WHERE key >= ? AND key < ? ORDER BY key LIMIT ?) c
     JOIN log l ON l.revision = c.revision
     LEFT JOIN expiry e ON e.key = c.key
     ORDER BY c.key`,
  );
  const giveAll = opts.db.transaction((grants: ExpiryGrant[]) => grants.filter((g) => opts.expiry.give(g.key, g.modRevision, g.ttlSeconds)).length);
  return {
    async page(prefix: string, cursor: string | undefined, limit: number): Promise<UnexpiringPage> {
      const rows = examine.all(cursor ?? prefix, rangeEnd(prefix), limit);
      const items = rows
        .filter((r) => r.value !== null)
        .map((r) => ({ key: r.key, value: decodeStored(r.key, r.value!), createRevision: r.create_revision, modRevision: r.revision }));
      const page: UnexpiringPage = { items, examined: rows.length };
      if (rows.length === limit) page.next = rows[rows.length - 1].key + '\u0000';
      return page;
    },
    async attach(grants: ExpiryGrant[]): Promise<number> {
      await opts.writable();
      const given = giveAll(grants);
      opts.wrote(given);
      return given;
    },
  };
}
