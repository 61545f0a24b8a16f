/**
 * metrics-server's storage: the last two points of every node and container, and usage from them
 * (CPU as the rate of the cumulative counter between the two, memory as the last working set),
 * with the window between them. Each store() keeps only what the new batch has, so the maps are
 * bounded by the nodes and pods the last scrape saw. Rules as upstream (pkg/storage): a point
 * no newer than the stored one does not replace it; a container whose start time moved past the
 * stored point restarted and starts over; a container started within one resolution of its first
 * point (but at least 10 s before it) gets its start as the previous point with zero CPU, so it
 * has usage after one scrape; a counter that went down or a start time that went back is skipped.
 */
import { formatQty, qtyFromInt, qtyFromScaled } from '../../api/quantity.ts';
import type { ContainerUsage } from './metrics-types.ts';
import type { MetricsBatch, MetricsPoint } from './decode-resource-metrics.ts';

const FRESH_CONTAINER_MIN_MS = 10_000;

export interface Usage {
  usage: ContainerUsage;
  /** ms since the epoch of the last point. */
  timestamp: number;
  windowMs: number;
}

/** metrics-server's resourceUsage: undefined where upstream reports an error and skips the point. */
export function resourceUsage(last: MetricsPoint, prev: MetricsPoint): Usage | undefined {
  if (last.startTime < prev.startTime || last.cpuNanos < prev.cpuNanos) return undefined;
  const windowMs = last.timestamp - prev.timestamp;
  if (windowMs <= 0) return undefined;
  const nanocores = Math.floor((last.cpuNanos - prev.cpuNanos) / (windowMs / 1000));
  return {
    usage: {
      cpu: formatQty(qtyFromScaled(nanocores, -9)),
      memory: formatQty(qtyFromInt(Math.floor(last.memoryBytes), 'BinarySI')),
    },
    timestamp: last.timestamp,
    windowMs,
  };
}

export class MetricsStore {
  #nodes = { last: new Map<string, MetricsPoint>(), prev: new Map<string, MetricsPoint>() };
  #pods = { last: new Map<string, Map<string, MetricsPoint>>(), prev: new Map<string, Map<string, MetricsPoint>>() };
  readonly #resolutionMs: number;

  constructor(resolutionMs: number) {
    this.#resolutionMs = resolutionMs;
  }

  store(batch: MetricsBatch): void {
    const last = new Map<string, MetricsPoint>();
    const prev = new Map<string, MetricsPoint>();
    for (const [name, p] of batch.nodes) {
      last.set(name, p);
      const stored = this.#nodes.last.get(name);
      if (!stored) continue;
      if (p.timestamp > stored.timestamp) prev.set(name, stored);
      else {
        const before = this.#nodes.prev.get(name);
        if (before && before.timestamp < p.timestamp) prev.set(name, before);
      }
    }
    this.#nodes = { last, prev };

    const lastPods = new Map<string, Map<string, MetricsPoint>>();
    const prevPods = new Map<string, Map<string, MetricsPoint>>();
    for (const [key, containers] of batch.pods) {
      const lastC = new Map<string, MetricsPoint>();
      const prevC = new Map<string, MetricsPoint>();
      for (const [name, p] of containers) {
        lastC.set(name, p);
        const age = p.timestamp - p.startTime;
        if (p.startTime > 0 && p.startTime < p.timestamp && age < this.#resolutionMs && age >= FRESH_CONTAINER_MIN_MS) {
          prevC.set(name, { ...p, timestamp: p.startTime, cpuNanos: 0 });
          continue;
        }
        const stored = this.#pods.last.get(key)?.get(name);
        // A start after the stored point is a restart: its counter began again.
        if (!stored || !(p.startTime < stored.timestamp)) continue;
        if (p.timestamp > stored.timestamp) prevC.set(name, stored);
        else {
          const before = this.#pods.prev.get(key)?.get(name);
          if (before && before.timestamp < p.timestamp) prevC.set(name, before);
        }
      }
      if (prevC.size > 0) prevPods.set(key, prevC);
      lastPods.set(key, lastC);
    }
    this.#pods = { last: lastPods, prev: prevPods };
  }

  nodeUsage(name: string): Usage | undefined {
    const last = this.#nodes.last.get(name);
    const prev = this.#nodes.prev.get(name);
    return last && prev ? resourceUsage(last, prev) : undefined;
  }

  /** Every container's usage, with the earliest container's time, or undefined unless all have two points. */
  podUsage(key: string): { containers: Array<{ name: string; usage: ContainerUsage }>; timestamp: number; windowMs: number } | undefined {
    const last = this.#pods.last.get(key);
    const prev = this.#pods.prev.get(key);
    if (!last || !prev) return undefined;
    const containers: Array<{ name: string; usage: ContainerUsage }> = [];
    let earliest: Usage | undefined;
    for (const [name, p] of last) {
      const before = prev.get(name);
      if (!before) return undefined;
      const u = resourceUsage(p, before);
      if (!u) continue;
      containers.push({ name, usage: u.usage });
      if (!earliest || earliest.timestamp > u.timestamp) earliest = u;
    }
    return earliest ? { containers, timestamp: earliest.timestamp, windowMs: earliest.windowMs } : undefined;
  }

  /** Points held (for the bound's test). */
  get size(): { nodes: number; pods: number } {
    return { nodes: this.#nodes.last.size, pods: this.#pods.last.size };
  }
}
