/**
 * metrics-server for real nodes: every resolution (15 s, metrics-server's default) it lists the
 * Nodes and Pods through the API with its own identity, scrapes each Ready node's
 * /metrics/resource (the node's InternalIP and kubeletEndpoint port, 10250 when unset; the agent's
 * serving certificate verified against the cluster CA; its own client certificate, which the agent
 * authorizes as nodes/metrics get), decodes the scrapes and keeps the last two points
 * (metrics-store.ts). It serves, as a MetricsSource, usage for the pods and nodes of the last
 * round that have two points; pods and nodes that no longer exist or were not seen are dropped,
 * so every map is bounded by the objects that exist. A node that fails its scrape is logged and
 * left out of that round.
 */
import { HttpsTransport } from '../client/transport.ts';
import { resources } from '../client/resources.ts';
import type { ApiClient, ClientIdentity, K8sObject } from '../client/types.ts';
import { formatGoDuration } from '../../util/duration.ts';
import { decodeBatch, podKey, type MetricsBatch } from './decode-resource-metrics.ts';
import type { MetricsSource } from './metrics-api-server.ts';
import { MetricsStore } from './metrics-store.ts';
import { rfc3339, type NodeMetrics, type PodMetrics } from './metrics-types.ts';

/**
 * Longest /metrics/resource answer read from one node: a kubelet's for 110 pods is well under 1 MiB,
 * so a node answering more is refused for that round rather than held in memory.
 */
const MAX_SCRAPE_BYTES = 8 * 1024 * 1024;

export const DEFAULT_RESOLUTION_MS = 15_000;
const DEFAULT_KUBELET_PORT = 10250;

export interface ScrapeTarget {
  node: string;
  /** https://<InternalIP>:<port> */
  url: string;
}

/** Fetches one node's /metrics/resource text (injected by tests; default: HTTPS with the identity). */
export type Scrape = (t: ScrapeTarget) => Promise<string>;

export interface NodeMetricsOptions {
  /** The metrics server's own API client (nodes and pods get/list). */
  client: ApiClient;
  /** Its client certificate towards the agents, and the CA their serving certificates come from. */
  identity?: ClientIdentity;
  scrape?: Scrape;
  resolutionMs?: number;
  now: () => number;
  log: { warn(o: object, m: string): void };
}

interface Meta {
  name: string;
  namespace: string;
  labels?: Record<string, string>;
}

function readyAddress(node: K8sObject): string | undefined {
  const conditions: Array<{ type?: string; status?: string }> = node.status?.conditions ?? [];
  if (!conditions.some((c) => c.type === 'Ready' && c.status === 'True')) return undefined;
  const ip = ((node.status?.addresses ?? []) as Array<{ type?: string; address?: string }>).find((a) => a.type === 'InternalIP' && a.address)?.address;
  if (!ip) return undefined;
  const p = Number(node.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 0);
  const port = p > 0 && p <= 65535 ? p : DEFAULT_KUBELET_PORT;
  return `https://${ip.includes(':') ? `[${ip}]` : ip}:${port}`;
}

const labelsOf = (o: K8sObject): Record<string, string> | undefined => (o.metadata.labels ? { ...o.metadata.labels } : undefined);

export class NodeMetricsCollector {
  readonly #o: NodeMetricsOptions;
  readonly #store: MetricsStore;
  readonly #transports = new Map<string, { url: string; t: HttpsTransport }>();
  #pods = new Map<string, Meta>();
  #nodes = new Map<string, { labels?: Record<string, string> }>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(o: NodeMetricsOptions) {
    this.#o = o;
    this.#store = new MetricsStore(o.resolutionMs ?? DEFAULT_RESOLUTION_MS);
  }

  /** The default scrape: GET /metrics/resource over the shared HTTPS transport, one per node. */
  #scrape: Scrape = async (t) => {
    if (!this.#o.identity) throw new Error('no client identity to scrape nodes with');
    let entry = this.#transports.get(t.node);
    if (entry?.url !== t.url) {
      entry?.t.close();
      const timeout = Math.min(10_000, Math.floor((this.#o.resolutionMs ?? DEFAULT_RESOLUTION_MS) * 0.9));
      entry = { url: t.url, t: new HttpsTransport({ server: t.url, identity: this.#o.identity, userAgent: 'portcullis-metrics-server', maxRetries: 0, requestTimeoutMs: timeout, maxConnections: 1, maxResponseBytes: MAX_SCRAPE_BYTES }) };
      this.#transports.set(t.node, entry);
    }
    const r = await entry.t.request({ method: 'GET', path: '/metrics/resource', idempotent: true });
    if (r.status !== 200) throw new Error(`GET ${t.url}/metrics/resource: ${r.status} ${r.body.toString('utf8').slice(0, 200)}`);
    return r.body.toString('utf8');
  };

  /** One round: list, scrape every Ready node, store. */
  async collect(): Promise<void> {
    const [nodes, pods] = await Promise.all([this.#o.client.list(resources.nodes, ''), this.#o.client.list(resources.pods, '')]);
    const targets: ScrapeTarget[] = [];
    const nodeMeta = new Map<string, { labels?: Record<string, string> }>();
    for (const n of nodes.items) {
      const name = n.metadata.name ?? '';
      nodeMeta.set(name, { labels: labelsOf(n) });
      const url = readyAddress(n);
      if (url) targets.push({ node: name, url });
    }
    for (const [name, e] of this.#transports) {
      if (!targets.some((t) => t.node === name)) {
        e.t.close();
        this.#transports.delete(name);
      }
    }
    const scrape = this.#o.scrape ?? this.#scrape;
    const batches = await Promise.all(targets.map(async (t): Promise<MetricsBatch | undefined> => {
      const at = this.#o.now();
      try {
        return decodeBatch(await scrape(t), at, t.node);
      } catch (err) {
        this.#o.log.warn({ node: t.node, err: (err as Error).message }, 'metrics: scrape of the node failed');
        return undefined;
      }
    }));
    const podMeta = new Map<string, Meta>();
    for (const p of pods.items) {
      if (!p.spec?.nodeName) continue;
      const m = { name: p.metadata.name ?? '', namespace: p.metadata.namespace ?? '', labels: labelsOf(p) };
      podMeta.set(podKey(m.namespace, m.name), m);
    }
    const merged: MetricsBatch = { nodes: new Map(), pods: new Map() };
    for (const b of batches) {
      if (!b) continue;
      for (const [k, v] of b.nodes) merged.nodes.set(k, v);
      // Only pods that exist: a scrape naming others (gone since, or never ours) adds nothing.
      for (const [k, v] of b.pods) if (podMeta.has(k)) merged.pods.set(k, v);
    }
    this.#store.store(merged);
    this.#pods = podMeta;
    this.#nodes = nodeMeta;
  }

  readonly source: MetricsSource = {
    pods: ({ namespace, name }) => {
      const out: PodMetrics[] = [];
      const now = rfc3339(this.#o.now());
      for (const [key, m] of this.#pods) {
        if ((namespace !== undefined && m.namespace !== namespace) || (name !== undefined && m.name !== name)) continue;
        const u = this.#store.podUsage(key);
        if (!u) continue;
        out.push({
          apiVersion: 'metrics.k8s.io/v1beta1', kind: 'PodMetrics',
          metadata: { name: m.name, namespace: m.namespace, creationTimestamp: now, ...(m.labels ? { labels: m.labels } : {}) },
          timestamp: rfc3339(u.timestamp), window: formatGoDuration(BigInt(u.windowMs) * 1_000_000n), containers: u.containers,
        });
      }
      return out;
    },
    nodes: (name) => {
      const out: NodeMetrics[] = [];
      const now = rfc3339(this.#o.now());
      for (const [n, m] of this.#nodes) {
        if (name !== undefined && n !== name) continue;
        const u = this.#store.nodeUsage(n);
        if (!u) continue;
        out.push({
          apiVersion: 'metrics.k8s.io/v1beta1', kind: 'NodeMetrics',
          metadata: { name: n, creationTimestamp: now, ...(m.labels ? { labels: m.labels } : {}) },
          timestamp: rfc3339(u.timestamp), window: formatGoDuration(BigInt(u.windowMs) * 1_000_000n), usage: u.usage,
        });
      }
      return out;
    },
  };

  /** Collects now and then every resolution until stopped. */
  start(): void {
    const tick = () => {
      if (this.#stopped) return;
      this.#running = this.collect().catch((err) => this.#o.log.warn({ err: (err as Error).message }, 'metrics: collection failed')).finally(() => {
        if (!this.#stopped) this.#timer = setTimeout(tick, this.#o.resolutionMs ?? DEFAULT_RESOLUTION_MS);
      });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
    for (const e of this.#transports.values()) e.t.close();
    this.#transports.clear();
  }

  /** Transports held (one per Ready node scraped). */
  get connections(): number {
    return this.#transports.size;
  }
}
