/**
 * client-go's rate-limited work queue (workqueue.TypedRateLimitingQueue): a key waiting is held
 * once (dedupe); a key being processed is never handed to a second worker, and if it is added
 * meanwhile it goes back in line when done() is called; addAfter delays; addRateLimited delays
 * by the controller default rate limiter: the larger of a per-key exponential backoff
 * (5 ms·2^failures, at most 1000 s) and an overall token bucket (10 qps, burst 100).
 */
import { realTimers, type Timers } from './timers.ts';
import type { WorkQueue } from './types.ts';

export interface RateLimiter {
  /** How long `key` waits before its next try. */
  when(key: string): number;
  forget(key: string): void;
  numRequeues(key: string): number;
}

/** Per-key exponential backoff: base·2^n for the n-th failure in a row, capped. */
export class ExponentialFailureRateLimiter implements RateLimiter {
  private readonly failures = new Map<string, number>();
  private readonly baseMs: number;
  private readonly maxMs: number;
  constructor(baseMs = 5, maxMs = 1000_000) {
    this.baseMs = baseMs;
    this.maxMs = maxMs;
  }
  when(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    return Math.min(this.baseMs * 2 ** Math.min(n, 60), this.maxMs);
  }
  forget(key: string): void {
    this.failures.delete(key);
  }
  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}

/** An overall token bucket (golang.org/x/time/rate's reservation): every call takes one token. */
export class BucketRateLimiter implements RateLimiter {
  private tokens: number;
  private last: number;
  private readonly qps: number;
  private readonly burst: number;
  private readonly now: () => number;
  constructor(qps = 10, burst = 100, now: () => number = Date.now) {
    this.qps = qps;
    this.burst = burst;
    this.now = now;
    this.tokens = burst;
    this.last = now();
  }
  when(): number {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.qps) / 1000);
    this.last = t;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.qps;
  }
  forget(): void {}
  numRequeues(): number {
    return 0;
  }
}

/** The larger delay of several limiters (workqueue.MaxOfRateLimiter). */
export class MaxOfRateLimiter implements RateLimiter {
  private readonly limiters: RateLimiter[];
  constructor(limiters: RateLimiter[]) {
    this.limiters = limiters;
  }
  when(key: string): number {
    return Math.max(0, ...this.limiters.map((l) => l.when(key)));
  }
  forget(key: string): void {
    for (const l of this.limiters) l.forget(key);
  }
  numRequeues(key: string): number {
    return Math.max(0, ...this.limiters.map((l) => l.numRequeues(key)));
  }
}

/** workqueue.DefaultControllerRateLimiter. */
export function defaultControllerRateLimiter(now: () => number = Date.now): RateLimiter {
  return new MaxOfRateLimiter([new ExponentialFailureRateLimiter(5, 1000_000), new BucketRateLimiter(10, 100, now)]);
}

export interface WorkQueueOptions {
  name?: string;
  rateLimiter?: RateLimiter;
  timers?: Timers;
  now?: () => number;
}

export class RateLimitedQueue implements WorkQueue {
  readonly name: string;
  private readonly queue: string[] = [];
  private head = 0;
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly waiting = new Map<string, { at: number; handle: unknown }>();
  private readonly getters: ((key: string | undefined) => void)[] = [];
  private readonly limiter: RateLimiter;
  private readonly timers: Timers;
  private readonly now: () => number;
  private shuttingDown = false;

  constructor(opts: WorkQueueOptions = {}) {
    this.name = opts.name ?? '';
    this.now = opts.now ?? Date.now;
    this.timers = opts.timers ?? realTimers;
    this.limiter = opts.rateLimiter ?? defaultControllerRateLimiter(this.now);
  }

  get length(): number {
    return this.queue.length - this.head;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    // Being processed: it goes back in line when its worker calls done().
    if (this.processing.has(key)) return;
    this.push(key);
  }

  private push(key: string): void {
    const getter = this.getters.shift();
    if (getter) {
      this.dirty.delete(key);
      this.processing.add(key);
      getter(key);
      return;
    }
    this.queue.push(key);
  }

  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = this.now() + delayMs;
    const prev = this.waiting.get(key);
    // As client-go's delaying queue: a key already waiting keeps the earlier of the two times.
    if (prev && prev.at <= at) return;
    if (prev) this.timers.clearTimeout(prev.handle);
    const handle = this.timers.setTimeout(() => {
      this.waiting.delete(key);
      this.add(key);
    }, delayMs);
    this.waiting.set(key, { at, handle });
  }

  addRateLimited(key: string): void {
    this.addAfter(key, this.limiter.when(key));
  }

  forget(key: string): void {
    this.limiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.limiter.numRequeues(key);
  }

  get(): Promise<string | undefined> {
    if (this.head < this.queue.length) {
      const key = this.queue[this.head++];
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      this.dirty.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.getters.push(resolve));
  }

  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key) && !this.shuttingDown) this.push(key);
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const w of this.waiting.values()) this.timers.clearTimeout(w.handle);
    this.waiting.clear();
    for (const g of this.getters.splice(0)) g(undefined);
  }

  shuttingDownNow(): boolean {
    return this.shuttingDown;
  }
}
