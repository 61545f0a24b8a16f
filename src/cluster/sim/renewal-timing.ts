/**
 * Where a simulated node's Lease renewal spends its time (issue 12: are lost renewals the API
 * server's doing or the simulator's?): from the moment it comes due (its slot's tick) to the
 * moment its request is handed to the node's client (the simulator's own queue: the heartbeat
 * pool's bound, or its event loop), and from there to the answer (the client, the wire and the
 * server). Histograms of bounded size (perf_hooks), taken and reset per phase.
 */
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

export interface Quantiles {
  count: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

export interface RenewalTimes {
  /** Due → handed to the client (ms). */
  queueMs: Quantiles;
  /** Handed to the client → answered (ms). */
  requestMs: Quantiles;
}

const summary = (h: RecordableHistogram): Quantiles =>
  h.count === 0
    ? { count: 0, p50: 0, p99: 0, max: 0, mean: 0 }
    : // Recorded as ms + 1 (a histogram takes integers >= 1).
      { count: h.count, p50: h.percentile(50) - 1, p99: h.percentile(99) - 1, max: h.max - 1, mean: Math.round((h.mean - 1) * 10) / 10 };

export class RenewalTiming {
  readonly #now: () => number;
  /** Node name → when its renewal came due; one entry per node at most (the pool coalesces). */
  readonly #due = new Map<string, number>();
  #queue = createHistogram();
  #request = createHistogram();

  constructor(now: () => number) {
    this.#now = now;
  }

  /** The node's renewal came due; a renewal already waiting keeps its earlier time. */
  due(name: string): void {
    if (!this.#due.has(name)) this.#due.set(name, this.#now());
  }

  /** The renewal is handed to the client; returns what answered() needs. */
  started(name: string): number {
    const t = this.#now();
    const due = this.#due.get(name);
    this.#due.delete(name);
    // Registration's first renewal was never due by the clock: only timed ones count.
    if (due !== undefined) this.#queue.record(Math.max(0, Math.round(t - due)) + 1);
    return t;
  }

  answered(startedAt: number): void {
    this.#request.record(Math.max(0, Math.round(this.#now() - startedAt)) + 1);
  }

  /** What was recorded since the last take, and a fresh start. */
  take(): RenewalTimes {
    const out = { queueMs: summary(this.#queue), requestMs: summary(this.#request) };
    this.#queue = createHistogram();
    this.#request = createHistogram();
    return out;
  }
}
