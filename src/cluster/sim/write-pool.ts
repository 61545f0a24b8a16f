/**
 * The simulator's writes: keyed, coalesced and bounded. A key added while it waits is written
 * once (the sync reads the latest state, so only the last wish counts); a key added while its
 * write runs is written again afterwards; at most `maxInFlight` writes run at a time, over all
 * nodes and pods, so 5,000 nodes cannot open 5,000 requests at once. A failed write is retried
 * with per-key exponential backoff while every other key goes on.
 */
import type { SimLog } from './config.ts';

export interface WritePool {
  add(key: string): void;
  addAfter(key: string, delayMs: number): void;
  /** Nothing pending for the key any more (the object is gone). */
  forget(key: string): void;
  stop(): void;
  readonly pending: number;
}

export interface WritePoolOptions {
  maxInFlight: number;
  sync: (key: string) => Promise<void>;
  log: SimLog;
  baseMs?: number;
  maxMs?: number;
}

export function createWritePool(o: WritePoolOptions): WritePool {
  const baseMs = o.baseMs ?? 500;
  const maxMs = o.maxMs ?? 30_000;
  const queued = new Set<string>();
  const active = new Set<string>();
  const again = new Set<string>();
  const timers = new Map<string, NodeJS.Timeout>();
  const failures = new Map<string, number>();
  let stopped = false;

  const pump = () => {
    while (!stopped && active.size < o.maxInFlight && queued.size > 0) {
      const key = queued.values().next().value!;
      queued.delete(key);
      active.add(key);
      void run(key);
    }
  };

  const run = async (key: string) => {
    try {
      await o.sync(key);
      failures.delete(key);
    } catch (err) {
      const n = (failures.get(key) ?? 0) + 1;
      failures.set(key, n);
      const delay = Math.min(maxMs, baseMs * 2 ** Math.min(n - 1, 30));
      if (!stopped) o.log.error({ err, key, failures: n, retryInMs: delay }, 'simulated nodes: write failed; retrying with backoff');
      addAfter(key, delay);
    } finally {
      active.delete(key);
      if (again.delete(key)) add(key);
      pump();
    }
  };

  const add = (key: string) => {
    if (stopped) return;
    const t = timers.get(key);
    if (t) {
      clearTimeout(t);
      timers.delete(key);
    }
    if (active.has(key)) again.add(key);
    else queued.add(key);
    pump();
  };

  const addAfter = (key: string, delayMs: number) => {
    if (stopped) return;
    if (delayMs <= 0) return add(key);
    const t = timers.get(key);
    if (t) clearTimeout(t);
    const timer = setTimeout(() => {
      timers.delete(key);
      add(key);
    }, delayMs);
    timer.unref?.();
    timers.set(key, timer);
  };

  return {
    add,
    addAfter,
    forget(key) {
      queued.delete(key);
      again.delete(key);
      failures.delete(key);
      const t = timers.get(key);
      if (t) clearTimeout(t);
      timers.delete(key);
    },
    stop() {
      stopped = true;
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      queued.clear();
      again.clear();
    },
    get pending() {
      return queued.size + active.size + timers.size;
    },
  };
}
