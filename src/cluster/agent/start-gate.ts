/**
 * How many pod starts do runtime work at once, and in which order. A burst of pods (50 bound at
 * once) all creating sandboxes and containers together share the node's CPUs with every runc, so
 * each finishes only when nearly all do; through this gate at most `limit` runtime operations run
 * at once and a waiting one goes by its pod's priority (the order the pods were admitted), so the
 * first pods' containers come before the later pods' sandboxes and pods become Running one after
 * another. Only bounded-time runtime calls go through it (create and start, never a stop with its
 * grace period or a hook), so a slow pod cannot hold it. Bounded by the calls waiting: at most one
 * per pod worker.
 */
interface Waiter {
  priority: number;
  seq: number;
  go(): void;
}

export class StartGate {
  readonly limit: number;
  #running = 0;
  #seq = 0;
  #waiting: Waiter[] = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`start gate limit must be a positive integer, not ${limit}`);
    this.limit = limit;
  }

  /** Runs fn once a slot is free; lower priorities first, then in arrival order. */
  async run<T>(priority: number, fn: () => Promise<T>): Promise<T> {
    if (this.#running >= this.limit) {
      await new Promise<void>((go) => {
        const w: Waiter = { priority, seq: this.#seq++, go };
        // Sorted insert: the queue is short (one entry per pod worker waiting).
        let i = this.#waiting.length;
        while (i > 0 && this.#waiting[i - 1]!.priority > priority) i--;
        this.#waiting.splice(i, 0, w);
      });
    } else this.#running++;
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      // The slot passes straight to the next waiter; the count only drops when none waits.
      if (next) next.go();
      else this.#running--;
    }
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  get running(): number {
    return this.#running;
  }
}
