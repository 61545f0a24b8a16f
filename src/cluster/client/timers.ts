/** Time as the client library sees it: injected so tests drive retries, queues and leases. */

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Node's longest delay: a longer one (or Infinity) fires after 1 ms, with a TimeoutOverflowWarning. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A delay past MAX_TIMER_MS, waited out in steps; `t` is the step pending. */
class LongTimeout {
  t: NodeJS.Timeout | undefined;
}

function unrefTimeout(fn: () => void, ms: number): NodeJS.Timeout {
  const t = setTimeout(fn, ms);
  t.unref?.();
  return t;
}

/**
 * Node's timers, unref'd: a pending retry or requeue never keeps a process alive by itself. A
 * delay over 2^31-1 ms (a period such as --sync-frequency=600h, which Go's timers take as given)
 * is waited out in steps, not fired at once; Infinity never fires.
 */
export const realTimers: Timers = {
  setTimeout(fn, ms) {
    if (!(ms > MAX_TIMER_MS)) return unrefTimeout(fn, ms);
    const h = new LongTimeout();
    let left = ms;
    const step = () => {
      left -= MAX_TIMER_MS;
      h.t = left > MAX_TIMER_MS ? unrefTimeout(step, MAX_TIMER_MS) : unrefTimeout(fn, left);
    };
    h.t = unrefTimeout(step, MAX_TIMER_MS);
    return h;
  },
  clearTimeout(h) {
    clearTimeout(h instanceof LongTimeout ? h.t : (h as NodeJS.Timeout));
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
