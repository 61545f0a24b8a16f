/** What the SQLite store takes and what it tells beyond a Store (sqlite.ts). */
import type { Store } from './types.ts';

export interface SqliteStoreOptions {
  /** Database file, or ':memory:'. */
  path: string;
  /** 'full' (default): every acknowledged write is fsynced. 'normal': survives a process crash, not power loss. */
  durability?: 'full' | 'normal';
  /** Called after every group commit is published (metrics, tests). */
  onCommit?: (info: { writes: number; revision: number }) => void;
  /** Revisions compacted per transaction (default 10,000); the event loop runs between chunks. */
  compactChunk?: number;
  /** Largest database size in bytes (etcd's --quota-backend-bytes); writes past it fail. Default: none. */
  quotaBytes?: number;
  /** Least time between two recordings of the revision high-water mark (default 1,000 ms). */
  highWaterIntervalMs?: number;
  /** Readiness probes a write only when no commit succeeded for this long (default 1,000 ms). */
  healthProbeIntervalMs?: number;
  /** WAL bytes (estimated) between two WAL checkpoints (default 4 MiB, SQLite's 1,000 pages; sqlite-checkpoint.ts). */
  walCheckpointBytes?: number;
  /** Between two passes of the sweep that deletes expired keys (default 1,000 ms; sqlite-ttl.ts). */
  expirySweepMs?: number;
  /** A sweep pass failed (default: ignored; the next pass tries again). */
  onExpiryError?: (err: unknown) => void;
  /** Milliseconds clock (default Date.now). */
  now?: () => number;
}

export interface DurabilityInfo {
  durability: 'full' | 'normal';
  /** PRAGMA synchronous as SQLite reports it: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA. */
  synchronous: number;
  /** True when every acknowledged write was in a WAL sync that completed first. */
  syncedBeforeAck: boolean;
  /** WAL syncs completed so far. */
  walSyncs: number;
  /** WAL checkpoints completed so far (sqlite-checkpoint.ts). */
  walCheckpoints: number;
}

/** The SQLite store: a Store plus what only it can tell. */
export interface SqliteStore extends Store {
  durabilityInfo(): DurabilityInfo;
  /** Fails unless the store currently accepts writes (readiness). */
  checkHealth(): Promise<void>;
  /** Records the published revision as the high-water mark now (tests, backups). */
  syncHighWater(): Promise<void>;
  /**
   * A consistent copy of the store in `file` while it keeps serving (SQLite's online backup API on
   * this connection: pages are copied a few at a time between writes, and a write made meanwhile
   * through this connection is carried into the copy, so the copy is the state at its end).
   */
  backup(file: string): Promise<void>;
  /** Deletes every key whose TTL has passed now (the sweep runs every expirySweepMs anyway); how many. */
  expireDue(): Promise<number>;
}
