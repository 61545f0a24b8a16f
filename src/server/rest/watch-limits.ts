/**
 * What one watch may cost and how many a user may hold: the bounds that keep clients which stop
 * reading (or open thousands of watches) from growing the server's memory without limit.
 */
import { ApiError } from '../../api/errors.ts';
import type { UserInfo } from '../../authn/types.ts';
import { DEFAULT_WATCH_BACKLOG } from '../../storage/watch-queue.ts';

export interface WatchLimits {
  /** Concurrent watches per user; the next one is 429 TooManyRequests. */
  maxPerUser: number;
  /** Events that may arrive for a watch whose client is not reading before it is closed. */
  maxBacklogEvents: number;
  /** The same in (approximate, JSON) bytes. */
  maxBacklogBytes: number;
  /** How long a watch from a resourceVersion the store has not reached waits for it (upstream's blockTimeout, 3 s). */
  freshnessTimeoutMs: number;
}

export const DEFAULT_WATCH_LIMITS: Readonly<WatchLimits> = Object.freeze({
  // Informers hold one watch per resource; a few hundred leaves room for any real client.
  maxPerUser: 250,
  maxBacklogEvents: DEFAULT_WATCH_BACKLOG.maxEvents,
  maxBacklogBytes: DEFAULT_WATCH_BACKLOG.maxBytes,
  freshnessTimeoutMs: 3000,
});

/** Counters for operators and tests. */
export interface WatchStats {
  /** Watches being served now. */
  active: number;
  /** Watches closed because their client fell behind by more than the backlog bound. */
  closedTooSlow: number;
  /** Watches refused because their user held maxPerUser already. */
  rejected: number;
  /** Watches whose client is not reading now: nothing is written to them until 'drain'. */
  blocked: number;
  /** The most bytes any watch response has had buffered for its socket (high-water mark). */
  maxBufferedBytes: number;
}

/** Validated when the server is built: a bad limit must not reach a request. */
export function watchLimits(opts: Partial<WatchLimits> = {}): WatchLimits {
  const limits = { ...DEFAULT_WATCH_LIMITS, ...opts };
  for (const [name, v] of Object.entries(limits)) {
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`watch limit ${name} must be a positive integer, got ${v}`);
  }
  return limits;
}

/** The live count of watches per user, with the cap. */
export class WatchRegistry {
  readonly limits: WatchLimits;
  readonly stats: WatchStats = { active: 0, closedTooSlow: 0, rejected: 0, blocked: 0, maxBufferedBytes: 0 };
  private readonly perUser = new Map<string, number>();

  constructor(limits: WatchLimits) {
    this.limits = limits;
  }

  /** Take a slot for `user` or refuse as upstream's max-in-flight filter does; returns the release. */
  acquire(user: UserInfo): () => void {
    const held = this.perUser.get(user.username) ?? 0;
    if (held >= this.limits.maxPerUser) {
      this.stats.rejected++;
      throw new ApiError(429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds: 1 });
    }
    this.perUser.set(user.username, held + 1);
    this.stats.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.stats.active--;
      const n = (this.perUser.get(user.username) ?? 1) - 1;
      // Entries go when their count does: the map is bounded by the users watching now.
      if (n === 0) this.perUser.delete(user.username);
      else this.perUser.set(user.username, n);
    };
  }

  held(user: string): number {
    return this.perUser.get(user) ?? 0;
  }

  noteBuffered(bytes: number): void {
    if (bytes > this.stats.maxBufferedBytes) this.stats.maxBufferedBytes = bytes;
  }
}
