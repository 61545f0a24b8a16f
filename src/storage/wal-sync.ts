/**
 * fdatasync of the SQLite WAL on libuv's thread pool, so the event loop never waits on the disk.
 *
 * With synchronous=NORMAL in WAL mode SQLite writes each commit's frames into the WAL without
 * syncing them; the only difference from synchronous=FULL is that FULL also syncs the WAL before
 * COMMIT returns (checkpoints and WAL resets are synced the same way in both modes). Syncing the
 * WAL ourselves after COMMIT and acknowledging the writes only then gives FULL's guarantee
 * without blocking the event loop, and one sync covers every commit written before it started,
 * so commits made while a sync runs share the next one (group commit).
 *
 * fsync works on the file, not the descriptor: syncing our own descriptor of the WAL flushes the
 * frames SQLite wrote through its own. The WAL is the same file for the connection's whole life
 * (exclusive locking mode: SQLite never deletes or replaces it while the connection is open).
 */
import { closeSync, existsSync, fdatasync, fdatasyncSync, fsyncSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

export class WalSync {
  private readonly fd: number;
  private closed = false;
  /** Completed syncs (durabilityInfo, tests). */
  count = 0;

  readonly walPath: string;

  constructor(walPath: string) {
    this.walPath = walPath;
    if (!existsSync(walPath)) throw new Error(`SQLite did not create its WAL at ${walPath}`);
    this.fd = openSync(walPath, 'r+');
    // The WAL's directory entry must survive a power loss too (SQLite itself would sync the
    // directory only at its first sync of the file, which synchronous=NORMAL defers).
    const dir = openSync(dirname(walPath), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  }

  sync(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error('WAL sync after close'));
      fdatasync(this.fd, (err) => {
        if (err) return reject(err);
        this.count++;
        resolve();
      });
    });
  }

  syncNow(): void {
    fdatasyncSync(this.fd);
    this.count++;
  }

  /** Only once no sync is in flight: the descriptor must not be reused under a running sync. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}
