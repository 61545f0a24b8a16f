/**
 * The storage boundary: a revision log in the manner of etcd.
 *
 * One global revision increases by one on every write (create, update, delete). Values are
 * opaque JSON-serialisable objects; the REST layer owns their meaning. Every backend (SQLite,
 * etcd, the watch cache in front of either) implements this interface and passes the shared
 * conformance suite in test/storage.
 */
import type { UnexpiringKeys } from './unexpiring-keys.ts';

export interface StoredObject<T = unknown> {
  key: string;
  value: T;
  /** Revision of the write that created this key (in its current incarnation). */
  createRevision: number;
  /** Revision of the last write to this key. Used as the object's resourceVersion. */
  modRevision: number;
}

export interface ListOptions {
  /** Maximum number of items to return; 0 or undefined means all. */
  limit?: number;
  /** Opaque token from a previous ListResult.continue. Implies atRevision of that list. */
  continue?: string;
  /** Read the state as of this revision (must not be compacted). Default: current. */
  atRevision?: number;
  /**
   * Only values for which this returns true are returned and counted toward `limit` (upstream's
   * SelectionPredicate). The continue token then points after the last key examined.
   */
  predicate?: (value: unknown) => boolean;
  /** See ReadOptions.consistent (only for a read of the current state: no atRevision, no continue). */
  consistent?: boolean;
}

export interface ReadOptions {
  /**
   * A client's read of the current state (upstream's consistent read): on a store others write
   * too, a cache answers only once it has reached the revision of a quorum read. The API server's
   * own lookups leave it off: they read what this server has seen, as upstream's informers do.
   */
  consistent?: boolean;
}

/** What a create or update may ask beyond the value. */
export interface WriteOptions {
  /**
   * Whole seconds after which the store deletes the key (etcd: the put carries a lease; upstream's
   * TTLFunc, e.g. Events under --event-ttl). The delete is an ordinary one: its own revision and a
   * DELETED watch event. An update renews the expiry when given one and clears it when not (as an
   * etcd put without a lease detaches the key from its lease). 0 or absent: never expires.
   */
  ttlSeconds?: number;
}

export interface ListResult<T = unknown> {
  items: StoredObject<T>[];
  /** The revision the list was read at. */
  revision: number;
  /** Set when more items remain; pass back as ListOptions.continue. */
  continue?: string;
  /** When limited, how many items remain after this page (at the list's revision). */
  remainingItemCount?: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent<T = unknown> {
  type: WatchEventType;
  key: string;
  /** For ADDED/MODIFIED the new value; for DELETED the last value before deletion. */
  value: T;
  /** For MODIFIED and DELETED the value before this write. */
  prevValue?: T;
  /** The revision of this event (for DELETED, the revision of the delete). */
  revision: number;
  createRevision: number;
  /** Length of `value`'s JSON text when the store had it: lets a cache account memory without serialising again. */
  size?: number;
}

export interface Watcher {
  /** Stop delivering events; idempotent. */
  close(): void;
  /**
   * Flow control for a consumer that cannot take more now (a client not reading its socket):
   * events queue until resume(). Events that arrive while paused count against the handlers'
   * `backlog` bound; past it the watch ends with StorageError 'TooSlow' (upstream's cacher
   * closes an unresponsive watcher the same way, and the client re-watches or relists).
   */
  pause(): void;
  resume(): void;
  /**
   * The highest revision up to which every event for this watch has been handed to onEvent, for
   * a BOOKMARK (undefined while events are still queued, or when unknown). It may be past the
   * last event delivered: writes elsewhere in the store move it too, so a quiet resource's
   * bookmark stays inside the store's recent history instead of pinning its list's revision.
   */
  deliveredRevision?(): number | undefined;
}

/** How far a paused watcher may fall behind: events and (approximate, JSON) bytes. */
export interface WatchBacklog {
  maxEvents: number;
  maxBytes: number;
}

export interface WatchHandlers<T = unknown> {
  /** Called for every change under the prefix, strictly in revision order, no gaps. */
  onEvent(event: WatchEvent<T>): void;
  /**
   * Every change up to `revision` has been delivered (etcd's progress notification): an idle
   * watch's position moves. Optional; only stores others write send it.
   */
  onProgress?(revision: number): void;
  /** Called once if the watch can no longer continue (e.g. the watcher fell too far behind). */
  onError?(err: Error): void;
  /** Bound on events queued while paused (default DEFAULT_WATCH_BACKLOG in watch-queue.ts). */
  backlog?: WatchBacklog;
  /**
   * Keys whose changes the consumer keeps nothing of (the watch cache's uncached prefixes): such
   * an event is not decoded (no parse of a value another writer stored, no decryption) and
   * onProgress(its revision) is called in place of onEvent, so the consumer's position still
   * moves. Without onProgress the event is simply not delivered. Optional.
   */
  passOver?(key: string): boolean;
}

export interface Store {
  /** Current (latest committed) revision. */
  currentRevision(): number;
  /**
   * The revision of the last compaction, 0 if none (etcd's compact revision). The state AT this
   * revision stays readable: list with atRevision >= it and watch with fromRevision >= it work
   * (a watch delivers revisions > fromRevision); anything older is 'Compacted'.
   */
  compactedRevision(): number;

  get<T = unknown>(key: string, opts?: ReadOptions): Promise<StoredObject<T> | undefined>;
  /**
   * What get(key) without options would answer, when it is in memory and needs no waiting (the
   * watch cache once primed): the object, or null when there is none. undefined: ask get().
   */
  getNow?<T = unknown>(key: string): StoredObject<T> | null | undefined;
  list<T = unknown>(prefix: string, opts?: ListOptions): Promise<ListResult<T>>;
  /** Count keys under prefix at the current revision. */
  count(prefix: string): Promise<number>;

  /** Fails with StorageError 'KeyExists' if the key exists. Returns the write's revision. */
  create<T = unknown>(key: string, value: T, opts?: WriteOptions): Promise<StoredObject<T>>;
  /**
   * Replace the value. `expectedRevision` must equal the key's current modRevision, else
   * StorageError 'Conflict'; a missing key is 'NotFound'.
   */
  update<T = unknown>(key: string, value: T, expectedRevision: number, opts?: WriteOptions): Promise<StoredObject<T>>;
  /** Delete; with expectedRevision, a stale revision is 'Conflict'. Returns the deleted object with the delete's revision as modRevision. */
  delete<T = unknown>(key: string, expectedRevision?: number): Promise<StoredObject<T>>;

  /**
   * Deliver every change under `prefix` with revision > fromRevision, in order, then every
   * later change as it commits. fromRevision older than the compacted revision fails with
   * StorageError 'Compacted' (synchronously thrown).
   */
  watch<T = unknown>(prefix: string, fromRevision: number, handlers: WatchHandlers<T>): Watcher;

  /**
   * Forget history before `revision` (the latest value of each live key at `revision` is kept,
   * so the state at `revision` itself stays readable). Compacting at or below the compacted
   * revision does nothing; above the current revision is 'FutureRevision'.
   */
  compact(revision: number): Promise<void>;

  /**
   * The latest revision committed by anyone, by a quorum read (etcd: a linearizable range).
   * Present on stores other processes write too; a cache in front waits to reach it before a
   * consistent read, so a write acknowledged by another API server is seen.
   */
  freshRevision?(): Promise<number>;

  /**
   * Ask every open watch for a progress notification (etcd's RequestProgress), so watches with
   * nothing to deliver report the revision they are at (WatchHandlers.onProgress).
   */
  requestWatchProgress?(): void;

  /**
   * Rejects unless the store accepts writes now (readiness: upstream's etcd check). Optional: a
   * store without it is as ready as a read of it says.
   */
  checkHealth?(): Promise<void>;

  /**
   * Keys written without a TTL, for the migration that gives them one (expiry-backfill.ts).
   * Present on the stores that keep expiries (SQLite, etcd); wrappers need not pass it on.
   */
  unexpiring?(): UnexpiringKeys;

  close(): Promise<void>;
}

export type StorageErrorCode = 'NotFound' | 'KeyExists' | 'Conflict' | 'Compacted' | 'FutureRevision' | 'InvalidContinue' | 'Closed' | 'Internal' | 'TooSlow';

export class StorageError extends Error {
  readonly code: StorageErrorCode;
  readonly key?: string;
  /** For 'Compacted': the compacted revision; for 'FutureRevision': the current revision. */
  readonly revision?: number;
  /** For 'FutureRevision': the revision that was asked for. */
  readonly requestedRevision?: number;
  constructor(code: StorageErrorCode, message: string, opts: { key?: string; revision?: number; requestedRevision?: number } = {}) {
    super(message);
    this.name = 'StorageError';
    this.code = code;
    this.key = opts.key;
    this.revision = opts.revision;
    this.requestedRevision = opts.requestedRevision;
  }
}
