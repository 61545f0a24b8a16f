/**
 * Rate limits for the NoExecute tainting of failed nodes, per zone (upstream's
 * zoneNoExecuteTainter: a RateLimitedTimedQueue per zone, a token bucket of --node-eviction-rate
 * 0.1/s with burst 1), so a zone losing many nodes at once loses its pods gradually. The pending
 * set holds node names only (one entry per node at most), and buckets are dropped with the last
 * node of their zone, so both stay bounded by the number of Nodes.
 */

const ZONE_LABELS = ['topology.kubernetes.io/zone', 'failure-domain.beta.kubernetes.io/zone'] as const;
const REGION_LABELS = ['topology.kubernetes.io/region', 'failure-domain.beta.kubernetes.io/region'] as const;

/** nodetopology.GetZoneKey: region and zone, '' when the node has neither. */
export function zoneKey(labels: Record<string, string> | undefined): string {
  const pick = (keys: readonly string[]) => keys.map((k) => labels?.[k]).find((v) => v) ?? '';
  const region = pick(REGION_LABELS);
  const zone = pick(ZONE_LABELS);
  return region || zone ? `${region}:\x00:${zone}` : '';
}

interface Bucket {
  tokens: number;
  last: number;
}

export class ZoneLimiter {
  readonly #buckets = new Map<string, Bucket>();
  /** zone → node names waiting for a token, in arrival order. */
  readonly #pending = new Map<string, Set<string>>();

  readonly qps: number;
  readonly now: () => number;

  constructor(qps: number, now: () => number) {
    this.qps = qps;
    this.now = now;
    if (!(qps > 0)) throw new Error(`node eviction rate must be positive, got ${qps}`);
  }

  /** Queues a node (again: no-op) for its zone. */
  add(zone: string, node: string): void {
    let s = this.#pending.get(zone);
    if (!s) this.#pending.set(zone, (s = new Set()));
    s.add(node);
  }

  remove(node: string): void {
    for (const [zone, s] of this.#pending) if (s.delete(node) && s.size === 0) this.#pending.delete(zone);
  }

  /** Forgets zones no node is in any more. */
  retainZones(zones: ReadonlySet<string>): void {
    for (const z of this.#buckets.keys()) if (!zones.has(z)) this.#buckets.delete(z);
    for (const z of this.#pending.keys()) if (!zones.has(z)) this.#pending.delete(z);
  }

  #take(zone: string): boolean {
    const now = this.now();
    const b = this.#buckets.get(zone) ?? { tokens: 1, last: now };
    b.tokens = Math.min(1, b.tokens + ((now - b.last) * this.qps) / 1000);
    b.last = now;
    this.#buckets.set(zone, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** The nodes whose turn it is now (at most one token's worth per zone), removed from the queue. */
  due(): string[] {
    const out: string[] = [];
    for (const [zone, s] of this.#pending) {
      while (s.size > 0 && this.#take(zone)) {
        const first = s.values().next().value as string;
        s.delete(first);
        out.push(first);
      }
      if (s.size === 0) this.#pending.delete(zone);
    }
    return out;
  }

  /** Milliseconds until a waiting node's zone has a token again; undefined when none waits. */
  nextDueIn(): number | undefined {
    let min: number | undefined;
    const now = this.now();
    for (const zone of this.#pending.keys()) {
      const b = this.#buckets.get(zone);
      const tokens = b ? Math.min(1, b.tokens + ((now - b.last) * this.qps) / 1000) : 1;
      const wait = Math.max(0, Math.ceil(((1 - tokens) * 1000) / this.qps));
      min = min === undefined ? wait : Math.min(min, wait);
    }
    return min;
  }
}
