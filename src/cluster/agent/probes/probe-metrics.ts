/**
 * The kubelet's prober metrics, served on the agent's /metrics/probes as pkg/kubelet/prober does:
 * prober_probe_total{probe_type,result,container,pod,namespace,pod_uid} counts every probe that
 * gave a result (an error is thrown away, as upstream), and prober_probe_duration_seconds
 * {probe_type,container,pod,namespace} observes successful (and unknown) probes only, both [ALPHA]
 * with component-base's help prefix and the Go client's default buckets. The pod label is
 * getPodLabelName: a generated name loses its random suffix and a Deployment's pod-template-hash,
 * so a ReplicaSet's pods share their series. A worker's series go when the worker stops, so the
 * registry is bounded by the probes of the pods on the node.
 */
import { createRequire } from 'node:module';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Counter, Histogram, Registry } from 'prom-client';

type PromClient = typeof import('prom-client');
let prom: PromClient | undefined;
/**
 * prom-client (CommonJS, so it can be required synchronously), loaded with the first probe result
 * or scrape: it and what it brings (@opentelemetry/api, tdigest) are ~1.7 MiB of the agent's
 * resident memory, and an agent whose pods have no probes never needs them.
 */
function promClient(): PromClient {
  return (prom ??= createRequire(import.meta.url)('prom-client') as PromClient);
}

export type ProbeTypeName = 'Liveness' | 'Readiness' | 'Startup';
export type ProbeMetricResult = 'successful' | 'failed' | 'unknown';

/** The Go client's DefBuckets (ProberDuration sets none). */
const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** getPodLabelName (worker.go). */
export function podLabelName(pod: Pod): string {
  const name = pod.metadata?.name ?? '';
  if (!pod.metadata?.generateName) return name;
  let out = name.split('-').slice(0, -1).join('-');
  const hash = pod.metadata?.labels?.['pod-template-hash'];
  if (hash !== undefined) out = out.replaceAll(`-${hash}`, '');
  return out;
}

/** One worker's label values. */
export interface ProbeSeries {
  pod: Pod;
  container: string;
  type: ProbeTypeName;
}

interface Families {
  registry: Registry;
  total: Counter;
  duration: Histogram;
}

export class ProbeMetrics {
  #families?: Families;

  /** The registry and its two families, made on first use. */
  #f(): Families {
    if (this.#families) return this.#families;
    const { Counter, Histogram, Registry } = promClient();
    const registry = new Registry();
    // Families in name order and label names sorted, as the Go client writes them (`le` moved last in text()).
    const duration = new Histogram({
      name: 'prober_probe_duration_seconds', help: '[ALPHA] Duration in seconds for a probe response.',
      labelNames: ['container', 'namespace', 'pod', 'probe_type'], buckets: DEFAULT_BUCKETS, registers: [registry],
    });
    const total = new Counter({
      name: 'prober_probe_total', help: '[ALPHA] Cumulative number of a liveness, readiness or startup probe for a container by result.',
      labelNames: ['container', 'namespace', 'pod', 'pod_uid', 'probe_type', 'result'], registers: [registry],
    });
    return (this.#families = { registry, total, duration });
  }

  #labels(s: ProbeSeries): { container: string; namespace: string; pod: string; probe_type: string } {
    return { container: s.container, namespace: s.pod.metadata?.namespace ?? '', pod: podLabelName(s.pod), probe_type: s.type };
  }

  /** A probe's result, and how long it took (seconds) when it did not fail. */
  observe(s: ProbeSeries, result: ProbeMetricResult, seconds: number): void {
    const l = this.#labels(s);
    const f = this.#f();
    f.total.inc({ container: l.container, namespace: l.namespace, pod: l.pod, pod_uid: s.pod.metadata?.uid ?? '', probe_type: l.probe_type, result });
    if (result !== 'failed') f.duration.observe(l, Math.max(0, seconds));
  }

  /** The worker stopped: its series go (as upstream deletes them when the worker exits). */
  drop(s: ProbeSeries): void {
    const f = this.#families;
    if (!f) return;
    const l = this.#labels(s);
    for (const result of ['successful', 'failed', 'unknown'] as const) {
      f.total.remove({ container: l.container, namespace: l.namespace, pod: l.pod, pod_uid: s.pod.metadata?.uid ?? '', probe_type: l.probe_type, result });
    }
    f.duration.remove(l);
  }

  /** The Prometheus text of /metrics/probes. */
  async text(): Promise<string> {
    // prom-client writes a bucket's `le` first; the Go client last.
    return (await this.#f().registry.metrics()).replace(/^(\w+_bucket)\{(le="[^"]*"),(.*)\}( \S+)$/gm, '$1{$3,$2}$4');
  }

  get contentType(): string {
    return this.#f().registry.contentType;
  }
}
