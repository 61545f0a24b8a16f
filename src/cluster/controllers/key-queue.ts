/**
 * The work queue every controller here syncs through (client-go's rate-limited workqueue, in
 * small): keys wait until due, one sync runs at a time, and a sync that throws is logged with its
 * key and retried after a per-key exponential backoff (base·2^(n-1), capped), while every other
 * key goes on. One object that cannot be processed (undecodable, too deep, refused by the store)
 * so costs a log line now and then, never the controller.
 */

export interface KeyQueueLog {
  error(obj: unknown, msg?: string): void;
}

export interface KeyQueueOptions {
  /** First retry delay after a failure, and the delay of a requested requeue (ms). */
  baseMs?: number;
  /** Longest retry delay (ms). */
  maxMs?: number;
  /** Milliseconds since some origin; injected so tests and callers control the clock. */
  now?: () => number;
}

/** What a sync asks for: done, or look again after the base delay (waiting on others, conflict). */
export type SyncResult = void | 'requeue';

export interface KeyQueue {
  /** Sync `key` as soon as possible (a key waiting out a backoff keeps waiting). */
  add(key: string): void;
  /** Forget the key: nothing pending, failure count reset (the object is gone). */
  forget(key: string): void;
  /** Failures in a row for the key (0 when its last sync succeeded). */
  failures(key: string): number;
  stop(): void;
}

export const DEFAULT_BASE_MS = 500;
export const DEFAULT_MAX_MS = 60_000;

export function createKeyQueue(what: string, sync: (key: string) => Promise<SyncResult>, log: KeyQueueLog, opts: KeyQueueOptions = {}): KeyQueue {
  const baseMs = opts.baseMs ?? DEFAULT_BASE_MS;
  const maxMs = opts.maxMs ?? DEFAULT_MAX_MS;
  const now = opts.now ?? Date.now;
  const due = new Map<string, number>();
  const failed = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Infinity;
  let running = false;
  let stopped = false;

  const arm = () => {
    if (stopped || running) return;
    let next = Infinity;
    for (const t of due.values()) if (t < next) next = t;
    if (next === Infinity || next >= timerAt) return;
    if (timer) clearTimeout(timer);
    timerAt = next;
    timer = setTimeout(() => {
      timer = undefined;
      timerAt = Infinity;
      void pass();
    }, Math.max(0, next - now()));
  };

  const later = (key: string, delay: number) => {
    const at = now() + delay;
    const cur = due.get(key);
    if (cur === undefined || cur > at) due.set(key, at);
  };

  const pass = async () => {
    if (running || stopped) return;
    running = true;
    try {
      const t = now();
      const ready = [...due].filter(([, at]) => at <= t).map(([k]) => k);
      for (const key of ready) {
        if (stopped) return;
        due.delete(key);
        try {
          const r = await sync(key);
          failed.delete(key);
          if (r === 'requeue') later(key, baseMs);
        } catch (err) {
          const n = (failed.get(key) ?? 0) + 1;
          failed.set(key, n);
          const delay = Math.min(maxMs, baseMs * 2 ** Math.min(n - 1, 30));
          log.error({ err, key, failures: n, retryInMs: delay }, `${what}: sync of ${key} failed; retrying with backoff`);
          later(key, delay);
        }
      }
    } finally {
      running = false;
    }
    arm();
  };

  return {
    add(key) {
      if (stopped) return;
      if (!failed.has(key)) due.set(key, Math.min(due.get(key) ?? Infinity, now()));
      else if (!due.has(key)) later(key, 0);
      arm();
    },
    forget(key) {
      due.delete(key);
      failed.delete(key);
    },
    failures: (key) => failed.get(key) ?? 0,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      due.clear();
    },
  };
}
