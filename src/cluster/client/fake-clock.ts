/**
 * A manual clock for tests of queues, leases and retries: time moves only when the test says so,
 * and timers due by then run in order. Implements Timers, plus now().
 */
import type { Timers } from './timers.ts';

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

export class FakeClock implements Timers {
  private t: number;
  private seq = 0;
  private readonly pending = new Map<number, Pending>();

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.t = startMs;
  }

  now = (): number => this.t;

  date = (): Date => new Date(this.t);

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.pending.set(id, { at: this.t + Math.max(0, ms), seq: id, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** Timers not yet run. */
  get timers(): number {
    return this.pending.size;
  }

  /**
   * Moves time forward by `ms`, running every timer due on the way at its own time; lets promise
   * callbacks settle after each, so async work a timer starts gets to its next timer.
   */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      const next = [...this.pending.values()].filter((p) => p.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.pending.delete(next.seq);
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
    await settle();
  }
}

/** Lets queued promise callbacks and immediates run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}
