/**
 * How many pod starts do runtime work at once, and in which order. A burst of pods (50 bound at
 * once) all creating sandboxes and containers together share the node's CPUs with every runc, so
 * each finishes only when nearly all do; through this gate at most `limit` runtime operations run
 * at once and a waiting one goes by its pod's priority (the order the pods were admitted), so the
 * first pods' containers come before the later pods' sandboxes and pods become Running one after
 * another. Only runtime calls that end on their own go through it (create and start, never a stop
 * with its grace period or a hook), and even those may hang (a mount stuck in the kernel, a runc
 * that never answers): a call holding its slot longer than `holdMs` stops counting, so the pods
 * behind it go ahead; the call itself keeps its own time limits. Bounded by the calls waiting: at
 * most one per pod worker.
 */
import { availableParallelism } from 'node:os';
import { realTimers, type Timers } from '../client/timers.ts';

interface Waiter {
  priority: number;
  seq: number;
  go(): void;
}

export interface StartGateOptions {
  /** How long one call may hold its slot (default 10 s; a runc start takes well under a second). */
  holdMs?: number;
  timers?: Timers;
}

export const DEFAULT_HOLD_MS = 10_000;

/**
 * The gate's default limit: twice the CPUs, at least 8. A runc start keeps about one CPU busy
 * for most of its time, so a limit fixed at 8 would leave most of a large node idle in a burst.
 * On the 2-core VM, 4 and 8 measured within the noise of each other (4: p50 lower in 10 of 13
 * alternating pairs, p99 higher in 8), so 8 stays for small nodes.
 */
export function defaultStartConcurrency(cpus = availableParallelism()): number {
  return Math.max(8, 2 * cpus);
}

export class StartGate {
  readonly limit: number;
  readonly holdMs: number;
  #timers: Timers;
  #running = 0;
  #seq = 0;
  #overdue = 0;
  #waiting: Waiter[] = [];

  constructor(limit: number, o: StartGateOptions = {}) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`start gate limit must be a positive integer, not ${limit}`);
    this.limit = limit;
    this.holdMs = o.holdMs ?? DEFAULT_HOLD_MS;
    this.#timers = o.timers ?? realTimers;
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
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      const next = this.#waiting.shift();
      // The slot passes straight to the next waiter; the count only drops when none waits.
      if (next) next.go();
      else this.#running--;
    };
    const timer = this.#timers.setTimeout(() => {
      if (!held) return;
      this.#overdue++;
      release();
    }, this.holdMs);
    try {
      return await fn();
    } finally {
      this.#timers.clearTimeout(timer);
      if (!held) this.#overdue--;
      release();
    }
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /** Calls holding a slot. */
  get running(): number {
    return this.#running;
  }

  /** Calls still running past holdMs, no longer counted in `running`. */
  get overdue(): number {
    return this.#overdue;
  }
}
