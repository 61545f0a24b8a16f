/**
 * At most `limit` async tasks at a time; the rest wait their turn in order. The queue holds what
 * callers hand it, so it is bounded by the caller (the scheduler: one bind per pod it assumed).
 */
export class ConcurrencyLimit {
  readonly limit: number;
  #running = 0;
  /**
   * Waiters from #head on, in order. Taken by index, not shift(): the scheduler can hold a waiting
   * bind for each of 100,000 pods it decided, and shift() moves the whole array every time.
   */
  readonly #waiting: Array<(() => void) | undefined> = [];
  #head = 0;

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`concurrency limit must be a positive integer, got ${limit}`);
    this.limit = limit;
  }

  /** Tasks running now and waiting to. */
  get size(): number {
    return this.#running + this.#waiting.length - this.#head;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#running++;
    try {
      return await task();
    } finally {
      // The slot passes straight to the next waiter (the running count stays), or is freed.
      const next = this.#take();
      if (next) next();
      else this.#running--;
    }
  }

  /**
   * Runs `task` once a slot is free, in turn with run()'s waiters, without a promise for the
   * caller: while it waits, a task is its closure and nothing else. For callers that park very
   * many tasks (the scheduler: a bind for each pod it decided, up to ~100,000 at full size, where
   * an awaiting caller and run()'s promises cost ~2 KB each). The task reports its own end and
   * errors; a rejection only frees the slot here.
   */
  start(task: () => Promise<unknown>): void {
    if (this.#running >= this.limit) {
      this.#waiting.push(() => this.#go(task));
      return;
    }
    this.#running++;
    this.#go(task);
  }

  /** Runs a task holding a slot; at its end the slot passes to the next waiter or is freed. */
  #go(task: () => Promise<unknown>): void {
    const release = () => {
      const next = this.#take();
      if (next) next();
      else this.#running--;
    };
    task().then(release, release);
  }

  #take(): (() => void) | undefined {
    if (this.#head >= this.#waiting.length) return undefined;
    const next = this.#waiting[this.#head];
    this.#waiting[this.#head++] = undefined;
    // Drop the taken front once it is most of the array: each element moves O(1) times overall.
    if (this.#head === this.#waiting.length) {
      this.#waiting.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#waiting.length) {
      this.#waiting.splice(0, this.#head);
      this.#head = 0;
    }
    return next;
  }
}
