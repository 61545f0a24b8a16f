/**
 * Resource usage of pods on simulated nodes, for the HorizontalPodAutoscaler: a data hook from a
 * pod to its containers' usage, shaped as metrics.k8s.io/v1beta1 PodMetrics and NodeMetrics as
 * metrics-server writes them (metrics-server.ts serves them).
 */
import type { K8sObject } from '../client/types.ts';
import { formatQty, parseQty, qtyFromScaled } from '../../api/quantity.ts';
import { rfc3339, type ContainerUsage, type NodeMetrics, type PodMetrics } from '../metrics/metrics-types.ts';

export type { ContainerUsage, NodeMetrics, PodMetrics };

/** From a pod to each container's usage (by container name). */
export type UsageFn = (pod: K8sObject) => Record<string, ContainerUsage>;

export const CPU_USAGE_ANNOTATION = 'sim.portcullis.dev/cpu-usage';
export const MEMORY_USAGE_ANNOTATION = 'sim.portcullis.dev/memory-usage';

/**
 * Every container uses what the pod's annotations say (`sim.portcullis.dev/cpu-usage: 200m`),
 * else what it requests, else nothing: a test moves an HPA by editing one annotation.
 */
export const defaultUsage: UsageFn = (pod) => {
  const ann = pod.metadata.annotations ?? {};
  const out: Record<string, ContainerUsage> = {};
  for (const c of (pod.spec?.containers ?? []) as Array<{ name: string; resources?: { requests?: Record<string, string> } }>) {
    const req = c.resources?.requests ?? {};
    out[c.name] = {
      cpu: String(ann[CPU_USAGE_ANNOTATION] ?? req.cpu ?? '0'),
      memory: String(ann[MEMORY_USAGE_ANNOTATION] ?? req.memory ?? '0'),
    };
  }
  return out;
};

export function podMetrics(pod: K8sObject, usage: UsageFn, now: number, windowSeconds = 10): PodMetrics {
  const ts = rfc3339(now);
  return {
    apiVersion: 'metrics.k8s.io/v1beta1',
    kind: 'PodMetrics',
    // metrics-server copies the pod's labels: label selectors (the HPA's) select on them.
    metadata: { name: pod.metadata.name ?? '', namespace: pod.metadata.namespace ?? '', creationTimestamp: ts, ...(pod.metadata.labels ? { labels: { ...pod.metadata.labels } } : {}) },
    timestamp: ts,
    window: `${windowSeconds}s`,
    containers: Object.entries(usage(pod)).map(([name, u]) => ({ name, usage: u })),
  };
}

/** A node's usage: the sum of its running pods' usage (a simulated node has no overhead of its own). */
export function nodeMetrics(node: string, pods: readonly K8sObject[], usage: UsageFn, now: number, windowSeconds = 10): NodeMetrics {
  const ts = rfc3339(now);
  const totals = new Map<string, bigint>();
  for (const p of pods) {
    if (p.spec?.nodeName !== node) continue;
    for (const u of Object.values(usage(p))) {
      for (const [r, q] of Object.entries(u)) {
        const parsed = parseQty(q);
        if (parsed) totals.set(r, (totals.get(r) ?? 0n) + parsed.nanos);
      }
    }
  }
  const out: ContainerUsage = {};
  for (const [r, nanos] of totals) out[r] = formatQty(qtyFromScaled(nanos, -9, r === 'memory' ? 'BinarySI' : 'DecimalSI'));
  return { apiVersion: 'metrics.k8s.io/v1beta1', kind: 'NodeMetrics', metadata: { name: node, creationTimestamp: ts }, timestamp: ts, window: `${windowSeconds}s`, usage: out };
}
