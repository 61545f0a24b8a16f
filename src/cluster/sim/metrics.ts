/**
 * Resource usage of pods on simulated nodes, for the HorizontalPodAutoscaler: a data hook from a
 * pod to its containers' usage, shaped as metrics.k8s.io/v1beta1 PodMetrics. Nothing serves the
 * metrics API yet; whoever does reads `podMetrics()` of the running simulation.
 */
import type { K8sObject } from '../client/types.ts';

/** Per-container usage, as quantities ({ cpu: '200m', memory: '64Mi' }). */
export type ContainerUsage = Record<string, string>;

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

export interface PodMetrics {
  apiVersion: 'metrics.k8s.io/v1beta1';
  kind: 'PodMetrics';
  metadata: { name: string; namespace: string; creationTimestamp: string };
  timestamp: string;
  window: string;
  containers: Array<{ name: string; usage: ContainerUsage }>;
}

export function podMetrics(pod: K8sObject, usage: UsageFn, now: number, windowSeconds = 10): PodMetrics {
  const ts = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    apiVersion: 'metrics.k8s.io/v1beta1',
    kind: 'PodMetrics',
    metadata: { name: pod.metadata.name ?? '', namespace: pod.metadata.namespace ?? '', creationTimestamp: ts },
    timestamp: ts,
    window: `${windowSeconds}s`,
    containers: Object.entries(usage(pod)).map(([name, u]) => ({ name, usage: u })),
  };
}
