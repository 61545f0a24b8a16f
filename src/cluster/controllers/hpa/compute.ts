/**
 * From an HPA's metric specs to one replica proposal (horizontal.go computeReplicasForMetrics and
 * computeStatusForResourceMetricGeneric), for Resource metrics with Utilization or AverageValue
 * targets. The largest proposal wins; a failing metric yields the ScalingActive=False condition
 * (FailedGetResourceMetric) and a Warning event; all failing, or some failing on a would-be
 * scale-down, is an error (-1 replicas), as upstream.
 */
import type { K8sObject } from '../../client/types.ts';
import { DEFAULT_CALCULATOR_OPTIONS, getRawResourceReplicas, getResourceReplicas, type CalculatorOptions } from './replica-calculator.ts';
import type { MetricsSource } from './metrics-source.ts';
import { milliQuantity, milliValue } from './quantity.ts';
import type { HpaCondition } from './conditions.ts';

export interface MetricSpec {
  type: string;
  resource?: { name: string; target: { type: string; averageUtilization?: number; averageValue?: string } };
}

export interface ComputeInput {
  namespace: string;
  metrics: readonly MetricSpec[];
  specReplicas: number;
  /** The scale's status.selector (a label selector string). */
  selector: string;
  /** Pods of the target, from the informer cache. */
  pods: readonly K8sObject[];
  source: MetricsSource;
  now: number;
  options?: CalculatorOptions;
  warn(reason: string, message: string): void;
}

export interface ComputeResult {
  replicas: number;
  metricName: string;
  statuses: K8sObject[] | Record<string, unknown>[];
  /** The condition to set (ScalingActive). */
  condition: Omit<HpaCondition, 'lastTransitionTime'>;
  error?: Error;
}

/** autoscaling/v2 defaulting: no metrics means 80% cpu. */
export const DEFAULT_METRICS: readonly MetricSpec[] = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];

async function computeResource(spec: MetricSpec, input: ComputeInput): Promise<{ replicas: number; name: string; status: Record<string, unknown> }> {
  const r = spec.resource!;
  const { metrics } = await input.source.getResourceMetric(r.name, input.namespace, input.selector);
  const o = input.options ?? DEFAULT_CALCULATOR_OPTIONS;
  if (r.target.averageValue !== undefined) {
    let p;
    try {
      p = getRawResourceReplicas(input.specReplicas, milliValue(r.target.averageValue), r.name, input.pods, metrics, input.now, o);
    } catch (err) {
      throw new Error(`failed to get ${r.name} usage: ${(err as Error).message}`);
    }
    return { replicas: p.replicas, name: `${r.name} resource`, status: { type: 'Resource', resource: { name: r.name, current: { averageValue: milliQuantity(p.rawAverage) } } } };
  }
  if (r.target.averageUtilization === undefined) throw new Error('invalid resource metric source: neither an average utilization target nor an average value (usage) target was set');
  let p;
  try {
    p = getResourceReplicas(input.specReplicas, r.target.averageUtilization, r.name, input.pods, metrics, input.now, o);
  } catch (err) {
    throw new Error(`failed to get ${r.name} utilization: ${(err as Error).message}`);
  }
  return {
    replicas: p.replicas,
    name: `${r.name} resource utilization (percentage of request)`,
    status: { type: 'Resource', resource: { name: r.name, current: { averageUtilization: p.utilization, averageValue: milliQuantity(p.rawAverage) } } },
  };
}

export async function computeReplicasForMetrics(input: ComputeInput): Promise<ComputeResult> {
  const specs = input.metrics.length ? input.metrics : DEFAULT_METRICS;
  const statuses: Record<string, unknown>[] = [];
  let replicas = 0;
  let metricName = '';
  let invalid = 0;
  let firstError: Error | undefined;
  let firstCondition: ComputeResult['condition'] | undefined;
  for (const spec of specs) {
    try {
      if (spec.type !== 'Resource' || !spec.resource) throw new Error(`unsupported metric source type ${JSON.stringify(spec.type)}`);
      const p = await computeResource(spec, input);
      statuses.push(p.status);
      if (replicas === 0 || p.replicas > replicas) [replicas, metricName] = [p.replicas, p.name];
    } catch (e) {
      // Upstream keeps a zero MetricStatus in place of a failed metric.
      statuses.push({ type: '' });
      const reason = spec.type === 'Resource' ? 'FailedGetResourceMetric' : 'InvalidMetricSourceType';
      const err = spec.type === 'Resource' ? new Error(`failed to get ${spec.resource?.name} resource metric value: ${(e as Error).message}`) : (e as Error);
      input.warn(reason, (e as Error).message);
      if (invalid === 0) {
        firstError = err;
        firstCondition = { type: 'ScalingActive', status: 'False', reason, message: `the HPA was unable to compute the replica count: ${(e as Error).message}` };
      }
      invalid++;
    }
  }
  const error = firstError && new Error(`invalid metrics (${invalid} invalid out of ${specs.length}), first error is: ${firstError.message}`);
  if (invalid >= specs.length || (invalid > 0 && replicas < input.specReplicas)) {
    return { replicas: -1, metricName: '', statuses, condition: firstCondition!, error };
  }
  return { replicas, metricName, statuses, condition: { type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound', message: `the HPA was able to successfully calculate a replica count from ${metricName}` }, error };
}
