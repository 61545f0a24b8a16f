/**
 * The HPA's replica calculation for resource metrics (pkg/controller/podautoscaler
 * replica_calculator.go and metrics/utilization.go): desired = ceil(ready pods * usage / target),
 * no change within the tolerance; pods without metrics count as 100% of their request (or the
 * target) on a scale-down and 0 on a scale-up, unready pods as 0 on a scale-up, and a correction
 * that would flip the scale direction keeps the current count. Pure: pods, metrics and the clock
 * come in as arguments.
 */
import type { K8sObject } from '../../client/types.ts';
import { parseTime } from '../pod-util.ts';
import { milliValue } from './quantity.ts';

/** One pod's usage of the resource in milli-units, with the sample's time and window (ms). */
export interface PodMetric {
  value: number;
  timestamp: number;
  windowMs: number;
}

export type PodMetricsInfo = Map<string, PodMetric>;

export interface CalculatorOptions {
  /** Ratios within 1 ± tolerance change nothing (--horizontal-pod-autoscaler-tolerance, 0.1). */
  tolerance: number;
  /** --horizontal-pod-autoscaler-cpu-initialization-period (5 min). */
  cpuInitializationPeriodMs: number;
  /** --horizontal-pod-autoscaler-initial-readiness-delay (30 s). */
  delayOfInitialReadinessStatusMs: number;
}

export const DEFAULT_CALCULATOR_OPTIONS: CalculatorOptions = Object.freeze({
  tolerance: 0.1,
  cpuInitializationPeriodMs: 5 * 60_000,
  delayOfInitialReadinessStatusMs: 30_000,
});

export interface ReplicaProposal {
  replicas: number;
  /** Percentage of request (utilization targets only). */
  utilization?: number;
  /** Average usage per pod in milli-units. */
  rawAverage: number;
}

interface Groups {
  readyPodCount: number;
  unready: Set<string>;
  missing: Set<string>;
  ignored: Set<string>;
}

function readyCondition(pod: K8sObject): { status: string; lastTransitionTime?: string } | undefined {
  return (pod.status?.conditions ?? []).find((c: { type: string }) => c.type === 'Ready');
}

/** groupPods: deleted and failed pods are ignored, pending and (for cpu) not-yet-settled pods unready. */
export function groupPods(pods: readonly K8sObject[], metrics: PodMetricsInfo, resource: string, now: number, o: CalculatorOptions): Groups {
  const g: Groups = { readyPodCount: 0, unready: new Set(), missing: new Set(), ignored: new Set() };
  for (const pod of pods) {
    const name = pod.metadata.name ?? '';
    if (pod.metadata.deletionTimestamp || pod.status?.phase === 'Failed') {
      g.ignored.add(name);
      continue;
    }
    if (pod.status?.phase === 'Pending') {
      g.unready.add(name);
      continue;
    }
    const metric = metrics.get(name);
    if (!metric) {
      g.missing.add(name);
      continue;
    }
    if (resource === 'cpu') {
      const cond = readyCondition(pod);
      const start = parseTime(pod.status?.startTime);
      let unready: boolean;
      if (!cond || start === undefined) unready = true;
      else {
        const transition = parseTime(cond.lastTransitionTime) ?? 0;
        // A pod still starting up: its cpu sample counts once it is ready and a whole window has passed since.
        if (start + o.cpuInitializationPeriodMs > now) unready = cond.status === 'False' || metric.timestamp < transition + metric.windowMs;
        // Later: ignored only when unready and never ready since it started.
        else unready = cond.status === 'False' && start + o.delayOfInitialReadinessStatusMs > transition;
      }
      if (unready) {
        g.unready.add(name);
        continue;
      }
    }
    g.readyPodCount++;
  }
  return g;
}

/** Sum of the containers' requests per pod (milli); a container without one is an error, as upstream. */
export function calculatePodRequests(pods: readonly K8sObject[], resource: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const pod of pods) {
    let sum = 0;
    for (const c of pod.spec?.containers ?? []) {
      const q = c.resources?.requests?.[resource];
      if (q === undefined) throw new Error(`missing request for ${resource} in container ${c.name} of Pod ${pod.metadata.name}`);
      sum += milliValue(q);
    }
    out.set(pod.metadata.name ?? '', sum);
  }
  return out;
}

/** metricsclient.GetResourceUtilizationRatio. */
export function resourceUtilizationRatio(metrics: PodMetricsInfo, requests: Map<string, number>, targetUtilization: number): { ratio: number; utilization: number; rawAverage: number } {
  let metricsTotal = 0;
  let requestsTotal = 0;
  let entries = 0;
  for (const [name, m] of metrics) {
    const request = requests.get(name);
    // Metrics of pods we do not know (no request) are extraneous.
    if (request === undefined) continue;
    metricsTotal += m.value;
    requestsTotal += request;
    entries++;
  }
  if (requestsTotal === 0) throw new Error('no metrics returned matched known pods');
  const utilization = Math.trunc((metricsTotal * 100) / requestsTotal);
  return { ratio: utilization / targetUtilization, utilization, rawAverage: Math.trunc(metricsTotal / entries) };
}

/** metricsclient.GetMetricUsageRatio. */
export function metricUsageRatio(metrics: PodMetricsInfo, targetUsage: number): { ratio: number; usage: number } {
  let total = 0;
  for (const m of metrics.values()) total += m.value;
  const usage = Math.trunc(total / metrics.size);
  return { ratio: usage / targetUsage, usage };
}

const without = (metrics: PodMetricsInfo, names: Iterable<string>): PodMetricsInfo => {
  const out = new Map(metrics);
  for (const n of names) out.delete(n);
  return out;
};

/** GetResourceReplicas: a target utilization (percentage of request). */
export function getResourceReplicas(currentReplicas: number, targetUtilization: number, resource: string, pods: readonly K8sObject[], podMetrics: PodMetricsInfo, now: number, o: CalculatorOptions = DEFAULT_CALCULATOR_OPTIONS): ReplicaProposal {
  if (pods.length === 0) throw new Error('no pods returned by selector while calculating replica count');
  const g = groupPods(pods, podMetrics, resource, now, o);
  const metrics = without(podMetrics, [...g.ignored, ...g.unready]);
  if (metrics.size === 0) throw new Error('did not receive metrics for targeted pods (pods might be unready)');
  const requests = calculatePodRequests(pods, resource);
  const { ratio, utilization, rawAverage } = resourceUtilizationRatio(metrics, requests, targetUtilization);
  const scaleUpWithUnready = g.unready.size > 0 && ratio > 1;
  if (!scaleUpWithUnready && g.missing.size === 0) {
    if (Math.abs(1 - ratio) <= o.tolerance) return { replicas: currentReplicas, utilization, rawAverage };
    return { replicas: Math.ceil(ratio * g.readyPodCount), utilization, rawAverage };
  }
  if (g.missing.size > 0) {
    // Scale-down: missing pods as using all of their request (or the target, when above 100%); scale-up: as using nothing.
    const fallback = Math.max(100, targetUtilization);
    for (const n of g.missing) metrics.set(n, { value: ratio < 1 ? Math.trunc((requests.get(n)! * fallback) / 100) : 0, timestamp: 0, windowMs: 0 });
  }
  if (scaleUpWithUnready) for (const n of g.unready) metrics.set(n, { value: 0, timestamp: 0, windowMs: 0 });
  const next = resourceUtilizationRatio(metrics, requests, targetUtilization).ratio;
  return { replicas: corrected(currentReplicas, ratio, next, metrics.size, o), utilization, rawAverage };
}

/** GetRawResourceReplicas / calcPlainMetricReplicas: a target average value per pod (milli). */
export function getRawResourceReplicas(currentReplicas: number, targetUsage: number, resource: string, pods: readonly K8sObject[], podMetrics: PodMetricsInfo, now: number, o: CalculatorOptions = DEFAULT_CALCULATOR_OPTIONS): ReplicaProposal {
  if (pods.length === 0) throw new Error('no pods returned by selector while calculating replica count');
  const g = groupPods(pods, podMetrics, resource, now, o);
  const metrics = without(podMetrics, [...g.ignored, ...g.unready]);
  if (metrics.size === 0) throw new Error('did not receive metrics for targeted pods (pods might be unready)');
  const { ratio, usage } = metricUsageRatio(metrics, targetUsage);
  const scaleUpWithUnready = g.unready.size > 0 && ratio > 1;
  if (!scaleUpWithUnready && g.missing.size === 0) {
    if (Math.abs(1 - ratio) <= o.tolerance) return { replicas: currentReplicas, rawAverage: usage };
    return { replicas: Math.ceil(ratio * g.readyPodCount), rawAverage: usage };
  }
  if (g.missing.size > 0) for (const n of g.missing) metrics.set(n, { value: ratio < 1 ? targetUsage : 0, timestamp: 0, windowMs: 0 });
  if (scaleUpWithUnready) for (const n of g.unready) metrics.set(n, { value: 0, timestamp: 0, windowMs: 0 });
  const next = metricUsageRatio(metrics, targetUsage).ratio;
  return { replicas: corrected(currentReplicas, ratio, next, metrics.size, o), rawAverage: usage };
}

/** The second pass: no change when it is small or would reverse the direction of the first. */
function corrected(current: number, ratio: number, next: number, count: number, o: CalculatorOptions): number {
  if (Math.abs(1 - next) <= o.tolerance || (ratio < 1 && next > 1) || (ratio > 1 && next < 1)) return current;
  const replicas = Math.ceil(next * count);
  if ((next < 1 && replicas > current) || (next > 1 && replicas < current)) return current;
  return replicas;
}
