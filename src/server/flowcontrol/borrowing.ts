/**
 * Seat borrowing between priority levels (KEP-1040's "borrowing", upstream's
 * updateBorrowingLocked and computeConcurrencyAllocation). Every adjustment period each level's
 * seat demand (seats in use plus seats waiting, averaged over time) gives a target; each level
 * then gets clamp(fairFrac × target, lower, upper) seats, with the one fairFrac that shares out
 * exactly the server's seats. lower = max(NominalCL − LendableCL, min(NominalCL, the period's
 * high watermark)); upper = NominalCL + BorrowingCL (no limit when borrowingLimitPercent is
 * unset). The exempt level takes part with its high watermark as lower bound, so seats exempt
 * requests use are not also promised to others.
 */

/** Upstream's seatDemandSmoothingCoefficient. */
const SMOOTHING = 0.977;

export interface AllocItem {
  lowerBound: number;
  upperBound: number;
  target: number;
}

/**
 * The allocation of `total` seats, or undefined when the bounds make it impossible (the lower
 * bounds exceed it, or the upper bounds cannot reach it): then the limits stay as they are.
 */
export function allocate(total: number, items: AllocItem[]): number[] | undefined {
  if (items.length === 0) return [];
  const at = (x: number) => items.map((i) => Math.max(i.lowerBound, Math.min(i.upperBound, x * i.target)));
  const sum = (x: number) => at(x).reduce((a, b) => a + b, 0);
  if (sum(0) > total + 1e-9) return undefined;
  let hi = 1;
  while (sum(hi) < total) {
    hi *= 2;
    if (hi > 1e12) return undefined;
  }
  let lo = 0;
  for (let n = 0; n < 100 && hi - lo > 1e-12 * hi; n++) {
    const mid = (lo + hi) / 2;
    if (sum(mid) < total) lo = mid;
    else hi = mid;
  }
  return at(hi);
}

/** A level's seat demand over time: its time-weighted average, deviation and maximum since the last reset. */
export class SeatDemand {
  readonly #now: () => number;
  #value = 0;
  #since: number;
  #start: number;
  #sum = 0;
  #sumSq = 0;
  #max = 0;
  smoothed = 0;
  highWatermark = 0;

  constructor(now: () => number) {
    this.#now = now;
    this.#since = this.#start = now();
  }

  set(value: number): void {
    this.#accumulate();
    this.#value = value;
    if (value > this.#max) this.#max = value;
  }

  /** Close the period: update the smoothed demand and the high watermark, start a new period. */
  period(): void {
    this.#accumulate();
    const duration = this.#since - this.#start;
    this.highWatermark = Math.round(this.#max);
    if (duration > 0) {
      const avg = this.#sum / duration;
      const dev = Math.sqrt(Math.max(0, this.#sumSq / duration - avg * avg));
      const envelope = avg + dev;
      this.smoothed = Math.max(envelope, SMOOTHING * this.smoothed + (1 - SMOOTHING) * envelope);
    }
    this.#start = this.#since;
    this.#sum = this.#sumSq = 0;
    this.#max = this.#value;
  }

  #accumulate(): void {
    const t = this.#now();
    const dt = t - this.#since;
    if (dt > 0) {
      this.#sum += this.#value * dt;
      this.#sumSq += this.#value * this.#value * dt;
    }
    this.#since = t;
  }
}
