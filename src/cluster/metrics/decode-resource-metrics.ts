/**
 * One node's /metrics/resource scrape decoded as metrics-server's decodeBatch does: the node's
 * cumulative CPU (core-seconds → ns) and working set, and per pod (namespace/name) per container
 * the same plus the container's start time, each with the sample's timestamp (ms; the scrape time
 * when a sample has none). Incomplete points are dropped as upstream drops them: a node without a
 * timestamp, CPU or memory, and a whole pod when any of its containers lacks CPU or memory (a
 * zero counts as missing). Parsed by a real Prometheus text parser.
 */
import parse from 'parse-prometheus-text-format';

export interface MetricsPoint {
  /** ms since the epoch; 0 when unknown. */
  startTime: number;
  /** ms since the epoch: when the cgroup was read. */
  timestamp: number;
  /** Cumulative CPU time, ns. */
  cpuNanos: number;
  memoryBytes: number;
}

export interface MetricsBatch {
  nodes: Map<string, MetricsPoint>;
  /** "namespace/name" → container → point. */
  pods: Map<string, Map<string, MetricsPoint>>;
}

interface Family {
  name: string;
  metrics: Array<{ labels?: Record<string, string>; value?: string; timestamp_ms?: string }>;
}

export const podKey = (namespace: string, name: string): string => `${namespace}/${name}`;

export function decodeBatch(text: string, scrapeTimeMs: number, nodeName: string): MetricsBatch {
  const node: MetricsPoint = { startTime: 0, timestamp: 0, cpuNanos: 0, memoryBytes: 0 };
  const pods = new Map<string, Map<string, MetricsPoint>>();
  const container = (labels: Record<string, string>): MetricsPoint => {
    const key = podKey(labels.namespace ?? '', labels.pod ?? '');
    const cs = pods.get(key) ?? new Map<string, MetricsPoint>();
    pods.set(key, cs);
    const name = labels.container ?? '';
    const p = cs.get(name) ?? { startTime: 0, timestamp: 0, cpuNanos: 0, memoryBytes: 0 };
    cs.set(name, p);
    return p;
  };
  for (const f of parse(text) as Family[]) {
    for (const m of f.metrics) {
      const value = Number(m.value);
      if (!Number.isFinite(value)) continue;
      const ts = m.timestamp_ms !== undefined ? Number(m.timestamp_ms) : scrapeTimeMs;
      switch (f.name) {
        case 'node_cpu_usage_seconds_total':
          node.cpuNanos = Math.round(value * 1e9);
          node.timestamp = ts;
          break;
        case 'node_memory_working_set_bytes':
          node.memoryBytes = value;
          node.timestamp = ts;
          break;
        case 'container_cpu_usage_seconds_total': {
          const p = container(m.labels ?? {});
          p.cpuNanos = Math.round(value * 1e9);
          p.timestamp = ts;
          break;
        }
        case 'container_memory_working_set_bytes': {
          const p = container(m.labels ?? {});
          p.memoryBytes = value;
          p.timestamp = ts;
          break;
        }
        case 'container_start_time_seconds':
          container(m.labels ?? {}).startTime = Math.round(value * 1000);
          break;
      }
    }
  }
  const batch: MetricsBatch = { nodes: new Map(), pods: new Map() };
  if (node.timestamp !== 0 && node.cpuNanos !== 0 && node.memoryBytes !== 0) batch.nodes.set(nodeName, node);
  for (const [key, cs] of pods) {
    if ([...cs.values()].every((p) => p.cpuNanos !== 0 && p.memoryBytes !== 0)) batch.pods.set(key, cs);
  }
  return batch;
}
