/**
 * WAL checkpoints of the SQLite store, with their fsyncs off the event loop.
 *
 * SQLite's automatic checkpoint (every 1,000 WAL pages) runs inside the COMMIT that crosses the
 * mark, on the event loop, and under synchronous=NORMAL it fsyncs the WAL and then the database
 * file there: every request waited on the disk (about 2 ms on a quiet disk, tens of ms on a busy
 * one) once every few hundred writes. The store turns it off (wal_autocheckpoint=0) and runs the
 * checkpoint itself between commits, once `thresholdBytes` of values were written since the last:
 * 1. the WAL is synced on the thread pool, so no page reaches the database file from a frame a
 *    power loss could still take back (what SQLite's own checkpoint syncs first);
 * 2. the pages are copied (PRAGMA wal_checkpoint(PASSIVE)) with synchronous=OFF for that one
 *    statement, so SQLite does not fsync on the event loop; the copy's CPU stays here;
 * 3. the database file is synced on the thread pool.
 * The group commit writes nothing until step 3 completed: the next write transaction restarts
 * the WAL from its start once every frame was copied, overwriting frames, and that must not
 * happen before the copied pages are durable (what SQLite's sync before it ensures).
 * The WAL therefore holds the pages of about `thresholdBytes` of writes at most, beyond the
 * commit in flight when the mark is crossed (sqlite-checkpoint.test.ts checks the bound).
 */
import type Database from 'better-sqlite3';
import type { WalSync } from './wal-sync.ts';

/**
 * Value bytes written between checkpoints. A commit writes every page it touches (a 4 KB value
 * takes two, plus index and table pages), so the WAL holds 3-7 times this: somewhat more than
 * SQLite's own mark of 1,000 pages of 4 KiB, for fewer checkpoints (a checkpoint copies each page
 * once, however often it was written since the last).
 */
export const DEFAULT_CHECKPOINT_BYTES = 1536 * 1024;

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

  /** A commit wrote about `bytes` to the WAL. */
  note(bytes: number): void {
    this.sinceLast += bytes;
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
