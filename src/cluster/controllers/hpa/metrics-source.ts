/**
 * Where the HPA reads resource usage: metrics.k8s.io/v1beta1 PodMetrics listed through the
 * controller's own ApiClient (upstream's resource metrics client, metrics/client.go
 * GetResourceMetric): per pod, the sum of its containers' usage of the resource; a pod with a
 * container lacking that resource is left out (it then counts as missing).
 */
import type { ApiClient, K8sObject, ResourceRef } from '../../client/types.ts';
import type { PodMetricsInfo } from './replica-calculator.ts';
import { milliValue } from './quantity.ts';
import { parseTime } from '../pod-util.ts';

export const POD_METRICS: ResourceRef = Object.freeze({ group: 'metrics.k8s.io', version: 'v1beta1', resource: 'pods', kind: 'PodMetrics', namespaced: true });

export interface ResourceMetrics {
  metrics: PodMetricsInfo;
  /** The first sample's time (ms). */
  timestamp: number;
}

export interface MetricsSource {
  getResourceMetric(resource: string, namespace: string, labelSelector: string): Promise<ResourceMetrics>;
}

/** "30s" / "1m0.5s" (metav1.Duration) → ms; metrics-server writes whole seconds. */
function durationMs(v: unknown): number {
  const m = /^(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(String(v ?? ''));
  if (!m || (!m[1] && !m[2])) return 0;
  return (Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 1000;
}

/** PodMetrics objects → usage per pod name. */
export function podMetricsInfo(items: readonly K8sObject[], resource: string): ResourceMetrics {
  const metrics: PodMetricsInfo = new Map();
  let timestamp = 0;
  for (const m of items) {
    const containers = (m.containers ?? []) as Array<{ usage?: Record<string, string> }>;
    let sum = 0;
    let missing = containers.length === 0;
    for (const c of containers) {
      const u = c.usage?.[resource];
      if (u === undefined) missing = true;
      else sum += milliValue(u);
    }
    if (missing) continue;
    const at = parseTime(m.timestamp) ?? 0;
    metrics.set(m.metadata.name ?? '', { value: sum, timestamp: at, windowMs: durationMs(m.window) });
    if (metrics.size === 1) timestamp = at;
  }
  return { metrics, timestamp };
}

export function apiMetricsSource(client: ApiClient): MetricsSource {
  return {
    async getResourceMetric(resource, namespace, labelSelector) {
      let list;
      try {
        list = await client.list<K8sObject>(POD_METRICS, namespace, { labelSelector });
      } catch (err) {
        throw new Error(`unable to fetch metrics from resource metrics API: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (list.items.length === 0) throw new Error('no metrics returned from resource metrics API');
      return podMetricsInfo(list.items, resource);
    },
  };
}
