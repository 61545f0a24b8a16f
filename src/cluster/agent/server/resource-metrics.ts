/**
 * The kubelet's /metrics/resource: CPU and memory of the node, of every running pod and of its
 * running containers, in the Prometheus text format with the kubelet's metric names, help texts
 * (with their stability level) and label names, each sample stamped with the time its cgroup was
 * read (ms), as pkg/kubelet/metrics/collectors/resource_metrics.go writes them. metrics-server
 * scrapes this to serve metrics.k8s.io. A pod's usage is its own cgroup's (pod-cgroups.ts); a pod
 * from before pod cgroups has none, and its usage is the sum over its sandbox and running containers.
 * Families in name order and series in label order, as the Go client writes them.
 */
import type { UsageStats } from '../runtime/cgroup-stats.ts';
import type { ContainerRuntime, PodRef } from '../runtime/types.ts';

const FAMILIES: ReadonlyArray<[name: string, type: 'counter' | 'gauge', help: string]> = [
  ['container_cpu_usage_seconds_total', 'counter', '[STABLE] Cumulative cpu time consumed by the container in core-seconds'],
  ['container_memory_working_set_bytes', 'gauge', '[STABLE] Current working set of the container in bytes'],
  ['container_start_time_seconds', 'gauge', '[STABLE] Start time of the container since unix epoch in seconds'],
  ['node_cpu_usage_seconds_total', 'counter', '[STABLE] Cumulative cpu time consumed by the node in core-seconds'],
  ['node_memory_working_set_bytes', 'gauge', '[STABLE] Current working set of the node in bytes'],
  ['pod_cpu_usage_seconds_total', 'counter', '[STABLE] Cumulative cpu time consumed by the pod in core-seconds'],
  ['pod_memory_working_set_bytes', 'gauge', '[STABLE] Current working set of the pod in bytes'],
  ['resource_scrape_error', 'gauge', '[STABLE] 1 if there was an error while getting container metrics, 0 otherwise'],
  ['scrape_error', 'gauge', '[ALPHA] (Deprecated since 1.29.0) 1 if there was an error while getting container metrics, 0 otherwise'],
];

/** A float as Go's strconv.FormatFloat(v, 'g', -1, 64) writes it (what the Prometheus client uses). */
export function goFloat(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
  if (v === 0) return '0';
  const [mantissa, e] = v.toExponential().split('e') as [string, string];
  const exp = Number(e);
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(v);
}

const escape = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

type Series = { labels: Array<[string, string]>; value: number; at?: Date };

function render(series: Map<string, Series[]>): string {
  const out: string[] = [];
  for (const [name, type, help] of FAMILIES) {
    const rows = series.get(name) ?? [];
    if (rows.length === 0) continue;
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    const keyed = rows.map((r) => ({ r, key: r.labels.map(([, v]) => v).join('\0') })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const { r } of keyed) {
      const labels = r.labels.length ? `{${r.labels.map(([k, v]) => `${k}="${escape(v)}"`).join(',')}}` : '';
      out.push(`${name}${labels} ${goFloat(r.value)}${r.at ? ` ${r.at.getTime()}` : ''}`);
    }
  }
  return `${out.join('\n')}\n`;
}

export interface ResourceMetricsSources {
  runtime: ContainerRuntime;
  nodeStats(): Promise<UsageStats>;
}

/** The exposition text; a failure to read (node or runtime) is reported as scrape_error 1. */
export async function resourceMetricsText(s: ResourceMetricsSources): Promise<string> {
  const series = new Map<string, Series[]>();
  const add = (name: string, row: Series) => {
    const rows = series.get(name) ?? [];
    rows.push(row);
    series.set(name, rows);
  };
  let failed = 0;
  try {
    const node = await s.nodeStats();
    add('node_cpu_usage_seconds_total', { labels: [], value: node.cpuUsageNanos / 1e9, at: node.timestamp });
    add('node_memory_working_set_bytes', { labels: [], value: node.memoryWorkingSetBytes, at: node.timestamp });
    const { sandboxes, containers } = await s.runtime.list();
    const pods = new Map<string, { pod: PodRef; cpu: number; memory: number; at: number }>();
    const addToPod = (pod: PodRef, u: UsageStats) => {
      const p = pods.get(pod.uid) ?? { pod, cpu: 0, memory: 0, at: 0 };
      p.cpu += u.cpuUsageNanos;
      p.memory += u.memoryWorkingSetBytes;
      p.at = Math.max(p.at, u.timestamp.getTime());
      pods.set(pod.uid, p);
    };
    for (const sb of sandboxes) {
      if (sb.state !== 'ready') continue;
      const u = await s.runtime.usageStats(sb.id);
      if (u) addToPod(sb.pod, u);
    }
    for (const c of containers) {
      if (c.state !== 'running') continue;
      const u = await s.runtime.usageStats(c.id);
      if (!u) continue;
      const labels: Array<[string, string]> = [['container', c.name], ['namespace', c.pod.namespace], ['pod', c.pod.name]];
      add('container_cpu_usage_seconds_total', { labels, value: u.cpuUsageNanos / 1e9, at: u.timestamp });
      add('container_memory_working_set_bytes', { labels, value: u.memoryWorkingSetBytes, at: u.timestamp });
      const started = c.startedAt ? Date.parse(c.startedAt) : NaN;
      if (started > 0) add('container_start_time_seconds', { labels, value: started / 1000 });
      addToPod(c.pod, u);
    }
    // A pod's own cgroup where it has one (everything it ran, as cadvisor's pod cgroup), else the sum above.
    for (const p of pods.values()) {
      const own = await s.runtime.podUsageStats?.(p.pod.uid);
      if (own) Object.assign(p, { cpu: own.cpuUsageNanos, memory: own.memoryWorkingSetBytes, at: own.timestamp.getTime() });
    }
    for (const p of pods.values()) {
      const labels: Array<[string, string]> = [['namespace', p.pod.namespace], ['pod', p.pod.name]];
      add('pod_cpu_usage_seconds_total', { labels, value: p.cpu / 1e9, at: new Date(p.at) });
      add('pod_memory_working_set_bytes', { labels, value: p.memory, at: new Date(p.at) });
    }
  } catch {
    // As the kubelet: nothing but the error gauges when the stats could not be had.
    series.clear();
    failed = 1;
  }
  add('resource_scrape_error', { labels: [], value: failed });
  add('scrape_error', { labels: [], value: failed });
  return render(series);
}
