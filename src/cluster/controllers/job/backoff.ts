/**
 * The pod failure backoff of backoff_utils.go: after n failures since the last success the next
 * pod waits 10 s·2^(n-1) (at most 6 minutes) from the last failure. Kept in memory per Job, as
 * upstream's podBackoffStore; an entry lives while its Job is unfinished (removed when it
 * finishes or is deleted), so the map is bounded by the live Jobs.
 */
export const DEFAULT_POD_FAILURE_BACKOFF_MS = 10_000;
export const MAX_POD_FAILURE_BACKOFF_MS = 6 * 60_000;

export interface BackoffRecord {
  failuresAfterLastSuccess: number;
  lastFailureMs: number;
}

export class PodBackoffStore {
  readonly #m = new Map<string, BackoffRecord>();

  /** newBackoffRecord: the record once this sync's newly finished pods are counted. */
  next(key: string, newSucceeded: number, newFailed: number, latestFailureMs: number): BackoffRecord {
    const prev = this.#m.get(key) ?? { failuresAfterLastSuccess: 0, lastFailureMs: 0 };
    if (newSucceeded > 0 && newFailed === 0) return { failuresAfterLastSuccess: 0, lastFailureMs: prev.lastFailureMs };
    if (newFailed === 0) return prev;
    return { failuresAfterLastSuccess: prev.failuresAfterLastSuccess + newFailed, lastFailureMs: Math.max(prev.lastFailureMs, latestFailureMs) };
  }

  /** updateBackoffRecord: kept once the status that counts those pods is written. */
  commit(key: string, r: BackoffRecord): void {
    this.#m.set(key, r);
  }

  remove(key: string): void {
    this.#m.delete(key);
  }

  get size(): number {
    return this.#m.size;
  }
}

/** getRemainingTime: how long pod creation still waits (0: create now). */
export function backoffRemaining(r: BackoffRecord, nowMs: number): number {
  if (r.failuresAfterLastSuccess === 0) return 0;
  const backoff = Math.min(MAX_POD_FAILURE_BACKOFF_MS, DEFAULT_POD_FAILURE_BACKOFF_MS * 2 ** Math.min(r.failuresAfterLastSuccess - 1, 30));
  return Math.max(0, r.lastFailureMs + backoff - nowMs);
}
