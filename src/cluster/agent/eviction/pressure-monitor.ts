/**
 * The eviction manager's bookkeeping each pass (synchronize up to the eviction itself): observe the
 * signals, find the thresholds met, remember when each was first met (a soft threshold acts only
 * once met for its grace period: thresholdsFirstObservedAt, thresholdsMetGracePeriod) and when each
 * node condition was last met, and report a condition (MemoryPressure, DiskPressure, PIDPressure)
 * while it was met within evictionPressureTransitionPeriod (5 min: nodeConditionsObservedSince), so
 * a node at the edge does not flap. A threshold acted on stays met until its minimum reclaim is
 * available as well (thresholdsNotYetResolved). An observation that fails leaves the state as it was, as
 * upstream skips a pass without a summary.
 */
import { conditionOf, DEFAULT_PRESSURE_TRANSITION_MS, thresholdsMet, type Observations, type PressureCondition, type Threshold } from './thresholds.ts';

export interface PressureMonitorDeps {
  thresholds: readonly Threshold[];
  /** The signals' observations now (those without a threshold may be left out). */
  observe(): Promise<Observations>;
  now(): number;
  transitionMs?: number;
  log: { info(o: object, m: string): void; warn(o: object, m: string): void };
}

/** Conditions in the order the node reports them. */
const ORDER: readonly PressureCondition[] = ['MemoryPressure', 'DiskPressure', 'PIDPressure'];

export class PressureMonitor {
  readonly #d: PressureMonitorDeps;
  readonly #firstObservedAt = new Map<Threshold, number>();
  readonly #conditionLastObservedAt = new Map<PressureCondition, number>();
  #conditions: PressureCondition[] = [];
  #met: Threshold[] = [];
  #unresolved: Threshold[] = [];
  #observations: Observations | undefined;

  constructor(d: PressureMonitorDeps) {
    this.#d = d;
  }

  /** The node conditions now True. */
  get conditions(): readonly PressureCondition[] {
    return this.#conditions;
  }

  has(c: PressureCondition): boolean {
    return this.#conditions.includes(c);
  }

  /** The thresholds met at the last pass whose grace period has passed (what eviction acts on). */
  get thresholdsMet(): readonly Threshold[] {
    return this.#met;
  }

  /** Every threshold met at the last pass counting its minimum reclaim, grace period or not (after node-level reclaim: is any left?). */
  get unresolved(): readonly Threshold[] {
    return this.#unresolved;
  }

  get observations(): Observations | undefined {
    return this.#observations;
  }

  /** One observation; answers the conditions now True. */
  async pass(): Promise<readonly PressureCondition[]> {
    let obs: Observations;
    try {
      obs = await this.#d.observe();
    } catch (err) {
      this.#d.log.warn({ err: (err as Error).message }, 'eviction manager: failed to get summary stats');
      return this.#conditions;
    }
    const now = this.#d.now();
    this.#observations = obs;
    // Thresholds acted on last time stay met until their minimum reclaim is available too.
    const met = thresholdsMet(this.#d.thresholds, obs);
    for (const t of thresholdsMet(this.#met, obs, true)) if (!met.includes(t)) met.push(t);
    this.#unresolved = thresholdsMet(this.#d.thresholds, obs, true);
    // thresholdsFirstObservedAt: a threshold no longer met starts its grace period afresh next time.
    for (const t of [...this.#firstObservedAt.keys()]) if (!met.includes(t)) this.#firstObservedAt.delete(t);
    for (const t of met) if (!this.#firstObservedAt.has(t)) this.#firstObservedAt.set(t, now);
    for (const t of met) this.#conditionLastObservedAt.set(conditionOf(t.signal), now);
    const transition = this.#d.transitionMs ?? DEFAULT_PRESSURE_TRANSITION_MS;
    const was = this.#conditions;
    this.#conditions = ORDER.filter((c) => {
      const at = this.#conditionLastObservedAt.get(c);
      return at !== undefined && now - at < transition;
    });
    this.#met = met.filter((t) => now - (this.#firstObservedAt.get(t) ?? now) >= t.gracePeriodMs);
    for (const c of ORDER) {
      if (was.includes(c) === this.#conditions.includes(c)) continue;
      const signals = met.filter((t) => conditionOf(t.signal) === c).map((t) => t.signal);
      this.#d.log.info({ condition: c, signals, status: this.#conditions.includes(c) }, `eviction manager: node condition ${c} is now ${this.#conditions.includes(c)}`);
    }
    return this.#conditions;
  }
}
