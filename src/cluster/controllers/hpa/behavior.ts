/**
 * The HPA's normalization of a recommendation (horizontal.go normalizeDesiredReplicas and
 * normalizeDesiredReplicasWithBehaviors): stabilization over recent recommendations (scale-down
 * window 300 s by default, scale-up 0), rate limits from the scaling policies over recent scale
 * events (or, without spec.behavior, at most max(2 × current, 4)), then min/max replicas. Each
 * call yields the AbleToScale and ScalingLimited conditions upstream sets. The per-HPA memory is
 * bounded: samples older than every window are reused, and a deleted HPA's key is forgotten.
 */

export interface ScalingPolicy {
  type: 'Pods' | 'Percent';
  value: number;
  periodSeconds: number;
}

export interface ScalingRules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: 'Max' | 'Min' | 'Disabled';
  policies?: ScalingPolicy[];
}

export interface Behavior {
  scaleUp?: ScalingRules;
  scaleDown?: ScalingRules;
}

export interface ConditionUpdate {
  type: 'AbleToScale' | 'ScalingLimited';
  status: 'True' | 'False';
  reason: string;
  message: string;
}

interface Recommendation {
  replicas: number;
  at: number;
}

interface ScaleEvent {
  change: number;
  at: number;
  outdated: boolean;
}

/** autoscaling/v2 defaults (GenerateHPAScaleUpRules / GenerateHPAScaleDownRules). */
export const DEFAULT_SCALE_UP: Readonly<Required<ScalingRules>> = Object.freeze({
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max' as const,
  policies: [{ type: 'Pods' as const, value: 4, periodSeconds: 15 }, { type: 'Percent' as const, value: 100, periodSeconds: 15 }],
});
export const DEFAULT_SCALE_DOWN: Readonly<Required<ScalingRules>> = Object.freeze({
  stabilizationWindowSeconds: 300,
  selectPolicy: 'Max' as const,
  policies: [{ type: 'Percent' as const, value: 100, periodSeconds: 15 }],
});

/** Fills the defaults the API defaults (a partly-set behavior keeps what it sets). */
export function withDefaults(rules: ScalingRules | undefined, defaults: Readonly<Required<ScalingRules>>, downscaleWindowSeconds?: number): Required<ScalingRules> {
  return {
    stabilizationWindowSeconds: rules?.stabilizationWindowSeconds ?? downscaleWindowSeconds ?? defaults.stabilizationWindowSeconds,
    selectPolicy: rules?.selectPolicy ?? defaults.selectPolicy,
    policies: rules?.policies?.length ? rules.policies : defaults.policies,
  };
}

export interface NormalizeArgs {
  key: string;
  behavior?: Behavior;
  minReplicas: number;
  maxReplicas: number;
  currentReplicas: number;
  desiredReplicas: number;
}

/** Upstream's cap on one HPA's remembered recommendations is implicit (one per resync); ours is explicit. */
const MAX_SAMPLES = 1000;

export class ReplicaNormalizer {
  private readonly recommendations = new Map<string, Recommendation[]>();
  private readonly scaleUpEvents = new Map<string, ScaleEvent[]>();
  private readonly scaleDownEvents = new Map<string, ScaleEvent[]>();

  private readonly now: () => number;
  /** --horizontal-pod-autoscaler-downscale-stabilization (5 min). */
  private readonly downscaleStabilisationMs: number;

  constructor(now: () => number, downscaleStabilisationMs = 300_000) {
    this.now = now;
    this.downscaleStabilisationMs = downscaleStabilisationMs;
  }

  /** recordInitialRecommendation: the first look at an HPA remembers the current size. */
  recordInitial(key: string, currentReplicas: number): void {
    if (!this.recommendations.has(key)) this.recommendations.set(key, [{ replicas: currentReplicas, at: this.now() }]);
  }

  forget(key: string): void {
    this.recommendations.delete(key);
    this.scaleUpEvents.delete(key);
    this.scaleDownEvents.delete(key);
  }

  normalize(a: NormalizeArgs): { replicas: number; conditions: ConditionUpdate[] } {
    return a.behavior ? this.withBehaviors(a) : this.legacy(a);
  }

  /** Without spec.behavior: the scale-down window only, then at most max(2 × current, 4). */
  private legacy(a: NormalizeArgs): { replicas: number; conditions: ConditionUpdate[] } {
    const cutoff = this.now() - this.downscaleStabilisationMs;
    let stabilized = a.desiredReplicas;
    const recs = this.recommendations.get(a.key) ?? [];
    let old = -1;
    recs.forEach((r, i) => {
      if (r.at < cutoff) old = i;
      else if (r.replicas > stabilized) stabilized = r.replicas;
    });
    this.record(a.key, recs, old, a.desiredReplicas);
    const conditions: ConditionUpdate[] = [
      stabilized !== a.desiredReplicas
        ? { type: 'AbleToScale', status: 'True', reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' }
        : { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size' },
    ];
    const scaleUpLimit = Math.max(2 * a.currentReplicas, 4);
    let [maxAllowed, reason, message] = a.maxReplicas > scaleUpLimit
      ? [scaleUpLimit, 'ScaleUpLimit', 'the desired replica count is increasing faster than the maximum scale rate']
      : [a.maxReplicas, 'TooManyReplicas', 'the desired replica count is more than the maximum replica count'];
    let replicas = stabilized;
    if (stabilized < a.minReplicas) {
      [replicas, reason, message] = [a.minReplicas, 'TooFewReplicas', 'the desired replica count is less than the minimum replica count'];
    } else if (stabilized > maxAllowed) replicas = maxAllowed;
    else [reason, message] = ['DesiredWithinRange', 'the desired count is within the acceptable range'];
    conditions.push({ type: 'ScalingLimited', status: replicas === stabilized ? 'False' : 'True', reason, message });
    return { replicas, conditions };
  }

  private withBehaviors(a: NormalizeArgs): { replicas: number; conditions: ConditionUpdate[] } {
    const up = withDefaults(a.behavior?.scaleUp, DEFAULT_SCALE_UP);
    const down = withDefaults(a.behavior?.scaleDown, DEFAULT_SCALE_DOWN, this.downscaleStabilisationMs / 1000);
    const now = this.now();
    const upCutoff = now - up.stabilizationWindowSeconds * 1000;
    const downCutoff = now - down.stabilizationWindowSeconds * 1000;
    let upRec = a.desiredReplicas;
    let downRec = a.desiredReplicas;
    const recs = this.recommendations.get(a.key) ?? [];
    let old = -1;
    recs.forEach((r, i) => {
      if (r.at > upCutoff) upRec = Math.min(r.replicas, upRec);
      if (r.at > downCutoff) downRec = Math.max(r.replicas, downRec);
      if (r.at < upCutoff && r.at < downCutoff) old = i;
    });
    let stabilized = Math.max(a.currentReplicas, upRec);
    stabilized = Math.min(stabilized, downRec);
    this.record(a.key, recs, old, a.desiredReplicas);
    const conditions: ConditionUpdate[] = [];
    if (stabilized !== a.desiredReplicas) {
      conditions.push(a.desiredReplicas >= a.currentReplicas
        ? { type: 'AbleToScale', status: 'True', reason: 'ScaleUpStabilized', message: 'recent recommendations were lower than current one, applying the lowest recent recommendation' }
        : { type: 'AbleToScale', status: 'True', reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' });
    } else conditions.push({ type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size' });
    const { replicas, reason, message } = this.rateLimited(a, up, down, stabilized);
    conditions.push({ type: 'ScalingLimited', status: replicas === stabilized ? 'False' : 'True', reason, message });
    return { replicas, conditions };
  }

  /** convertDesiredReplicasWithBehaviorRate. */
  private rateLimited(a: NormalizeArgs, up: Required<ScalingRules>, down: Required<ScalingRules>, desired: number): { replicas: number; reason: string; message: string } {
    const ups = this.scaleUpEvents.get(a.key) ?? [];
    const downs = this.scaleDownEvents.get(a.key) ?? [];
    if (desired > a.currentReplicas) {
      const limit = Math.max(this.limit(a.currentReplicas, ups, downs, up, 'up'), a.currentReplicas);
      const [maxAllowed, reason, message] = a.maxReplicas > limit
        ? [limit, 'ScaleUpLimit', 'the desired replica count is increasing faster than the maximum scale rate']
        : [a.maxReplicas, 'TooManyReplicas', 'the desired replica count is more than the maximum replica count'];
      if (desired > maxAllowed) return { replicas: maxAllowed, reason, message };
    } else if (desired < a.currentReplicas) {
      const limit = Math.min(this.limit(a.currentReplicas, ups, downs, down, 'down'), a.currentReplicas);
      const [minAllowed, reason, message] = a.minReplicas < limit
        ? [limit, 'ScaleDownLimit', 'the desired replica count is decreasing faster than the maximum scale rate']
        : [a.minReplicas, 'TooFewReplicas', 'the desired replica count is less than the minimum replica count'];
      if (desired < minAllowed) return { replicas: minAllowed, reason, message };
    }
    return { replicas: desired, reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };
  }

  /** calculateScaleUpLimitWithScalingRules / calculateScaleDownLimitWithBehaviors. */
  private limit(current: number, ups: ScaleEvent[], downs: ScaleEvent[], rules: Required<ScalingRules>, dir: 'up' | 'down'): number {
    if (rules.selectPolicy === 'Disabled') return current;
    // "Min" picks the smallest change: the lowest limit going up, the highest going down.
    const pickLowest = (rules.selectPolicy === 'Min') === (dir === 'up');
    let result = pickLowest ? Infinity : -Infinity;
    for (const p of rules.policies) {
      const start = current - this.changeIn(p.periodSeconds, ups) + this.changeIn(p.periodSeconds, downs);
      let proposed: number;
      if (dir === 'up') proposed = p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
      else proposed = p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100));
      result = pickLowest ? Math.min(result, proposed) : Math.max(result, proposed);
    }
    return result;
  }

  private changeIn(periodSeconds: number, events: ScaleEvent[]): number {
    const cutoff = this.now() - periodSeconds * 1000;
    let sum = 0;
    for (const e of events) if (e.at > cutoff) sum += e.change;
    return sum;
  }

  /** storeScaleEvent: remembered only with spec.behavior; outdated samples (older than the longest period) reused. */
  recordScale(key: string, behavior: Behavior | undefined, previous: number, next: number): void {
    if (!behavior || next === previous) return;
    const upward = next > previous;
    const rules = upward ? withDefaults(behavior.scaleUp, DEFAULT_SCALE_UP) : withDefaults(behavior.scaleDown, DEFAULT_SCALE_DOWN);
    const longest = Math.max(0, ...rules.policies.map((p) => p.periodSeconds));
    const map = upward ? this.scaleUpEvents : this.scaleDownEvents;
    const events = map.get(key) ?? [];
    const cutoff = this.now() - longest * 1000;
    for (const e of events) if (e.at <= cutoff) e.outdated = true;
    const event = { change: Math.abs(next - previous), at: this.now(), outdated: false };
    const i = events.findIndex((e) => e.outdated);
    if (i >= 0) events[i] = event;
    else if (events.length < MAX_SAMPLES) events.push(event);
    map.set(key, events);
  }

  private record(key: string, recs: Recommendation[], oldIndex: number, replicas: number): void {
    const rec = { replicas, at: this.now() };
    if (oldIndex >= 0) recs[oldIndex] = rec;
    else if (recs.length < MAX_SAMPLES) recs.push(rec);
    this.recommendations.set(key, recs);
  }
}
