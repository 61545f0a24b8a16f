/**
 * WAL checkpoints of the SQLite store, with their fsyncs off the event loop.
 *
 * SQLite's automatic checkpoint (every 1,000 WAL pages) runs inside the COMMIT that crosses the
 * mark, on the event loop, and under synchronous=NORMAL it fsyncs the WAL and then the database
 * file there: every request waited on the disk (about 2 ms on a quiet disk, tens of ms on a busy
 * one) once every few hundred writes. The store turns it off (wal_autocheckpoint=0) and runs the
 * checkpoint itself between commits, once about `thresholdBytes` went to the WAL since the last:
 * 1. the WAL is synced on the thread pool, so no page reaches the database file from a frame a
 *    power loss could still take back (what SQLite's own checkpoint syncs first);
 * 2. the pages are copied (PRAGMA wal_checkpoint(PASSIVE)) with synchronous=OFF for that one
 *    statement, so SQLite does not fsync on the event loop; the copy's CPU stays here;
 * 3. the database file is synced on the thread pool.
 * The group commit writes nothing until step 3 completed: the next write transaction restarts
 * the WAL from its start once every frame was copied, overwriting frames, and that must not
 * happen before the copied pages are durable (what SQLite's sync before it ensures).
 * The WAL therefore holds about `thresholdBytes` at most, beyond the commit in flight when the
 * mark is crossed (sqlite-checkpoint.test.ts checks the bound).
 */
import type Database from 'better-sqlite3';
import type { WalSync } from './wal-sync.ts';

/** WAL bytes (estimated, see noteCommit) between checkpoints: SQLite's own mark of 1,000 pages. */
export const DEFAULT_CHECKPOINT_BYTES = 4 * 1024 * 1024;

const PAGE = 4096;

export class WalCheckpointer {
  private readonly db: Database.Database;
  private readonly wal: WalSync;
  private readonly file: WalSync;
  private readonly thresholdBytes: number;
  private sinceLast = 0;
  /** Checkpoints completed (tests). */
  count = 0;

  /** `wal` syncs the WAL, `file` the database file (wal-sync.ts works on either). */
  constructor(db: Database.Database, wal: WalSync, file: WalSync, thresholdBytes = DEFAULT_CHECKPOINT_BYTES) {
    this.db = db;
    this.wal = wal;
    this.file = file;
    this.thresholdBytes = thresholdBytes;
    db.pragma('wal_autocheckpoint = 0');
  }

  /** Only once no checkpoint runs (the WAL's descriptor is the store's to close). */
  close(): void {
    this.file.close();
  }

  /**
   * A commit wrote values of these sizes. SQLite does not tell what went to the WAL, so it is
   * estimated in pages: each value's own (a page holds about 4,000 bytes of a row), one more per
   * write (the index and `current` leaves it changes) and three per commit (meta, and the pages
   * above the leaves). The WAL got about 0.75 of this for 16-write commits of 3.5 KB values, 0.8 for
   * 4 x 12 KB, 0.36 for 16 x 400 B and 0.94 for one 400 B write per commit (a Lease renewal):
   * counting value bytes alone would undercount small writes tens of times over.
   */
  noteCommit(sizes: readonly number[]): void {
    let pages = 3;
    for (const n of sizes) pages += Math.ceil(n / 4000) + 1;
    this.notePages(pages);
  }

  /** A write outside the group commit changed about this many pages. */
  notePages(pages: number): void {
    this.sinceLast += pages * PAGE;
  }

  get due(): boolean {
    return this.sinceLast >= this.thresholdBytes;
  }

  /**
   * Steps 1-3 above; the caller writes nothing until it settles. A failed sync rejects (what is
   * on disk is unknown: the caller fails the store). A copy that failed (a full disk) only skips
   * this checkpoint: SQLite restarts the WAL only after a complete one, so it keeps its frames.
   */
  async run(): Promise<void> {
    this.sinceLast = 0;
    await this.wal.sync();
    try {
      this.db.exec('PRAGMA synchronous = OFF');
      this.db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      return;
    } finally {
      this.db.exec('PRAGMA synchronous = NORMAL');
    }
    await this.file.sync();
    this.count++;
  }
}
