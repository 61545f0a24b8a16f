/**
 * metrics.k8s.io/v1beta1 PodMetrics and NodeMetrics as metrics-server writes them: timestamps in
 * whole seconds (RFC 3339), the window as a Go duration, usage as quantities (cpu in DecimalSI,
 * memory in BinarySI), and the pod's or node's labels copied so label selectors (the HPA's) work.
 */

/** Per-container (or node) usage, as quantities ({ cpu: '200m', memory: '64Mi' }). */
export type ContainerUsage = Record<string, string>;

export interface PodMetrics {
  apiVersion: 'metrics.k8s.io/v1beta1';
  kind: 'PodMetrics';
  metadata: { name: string; namespace: string; creationTimestamp: string; labels?: Record<string, string> };
  timestamp: string;
  window: string;
  containers: Array<{ name: string; usage: ContainerUsage }>;
}

export interface NodeMetrics {
  apiVersion: 'metrics.k8s.io/v1beta1';
  kind: 'NodeMetrics';
  metadata: { name: string; creationTimestamp: string; labels?: Record<string, string> };
  timestamp: string;
  window: string;
  usage: ContainerUsage;
}

/** RFC 3339 in whole seconds, as metav1.Time serialises. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
