/** Time as the client library sees it: injected so tests drive retries, queues and leases. */

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Node's timers, unref'd: a pending retry or requeue never keeps a process alive by itself. */
export const realTimers: Timers = {
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout(h) {
    clearTimeout(h as NodeJS.Timeout);
  },
};

/**
 * Exponential backoff with jitter (client-go's wait.Backoff): initial·2^attempt, capped, then
 * stretched by up to `jitter` of itself at random so many clients failing together do not retry
 * together.
 */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number, random: () => number, jitter = 0.2): number {
  const d = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 40));
  return d + d * jitter * random();
}

export const sleep = (timers: Timers, ms: number): Promise<void> => new Promise((resolve) => void timers.setTimeout(resolve, ms));
