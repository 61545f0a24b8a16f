/**
 * Compiles the policies that apply to each pod into its PodPolicy: per direction, the
 * AdminNetworkPolicy rules (priority, then rule order), the NetworkPolicy allow rules (or null
 * when none selects the pod), and the BaselineAdminNetworkPolicy rules. Peers are resolved to pod
 * keys and external IPv4 space here, named ports to numbers, so evaluation (evaluate.ts) and the
 * nftables rendering (nftables.ts) read one and the same result.
 */
import { ConnSet } from './connections.ts';
import { IntervalSet } from './intervals.ts';
import { ALL_IPV4, cidrToSet, isIPv6Cidr } from './ipv4.ts';
import { adminPolicyPorts, networkPolicyPorts, resolveNamed, type RulePorts } from './ports.ts';
import { PodIndex } from './selectors.ts';
import type { Action, CompiledRule, DirectionPolicy, NamespaceInfo, PeerMatch, PodInfo, PodPolicy, PolicyInput } from './types.ts';

type Json = Record<string, unknown>;
type Direction = 'ingress' | 'egress';

const NO_IPS = IntervalSet.empty();
const ANY: PeerMatch = { any: true, pods: new Set(), ips: ALL_IPV4 };

export interface Snapshot {
  pods: readonly PodInfo[];
  namespaces: ReadonlyMap<string, NamespaceInfo>;
  policies: PolicyInput;
}

export class PolicyModel {
  readonly index: PodIndex;
  readonly #policies: PolicyInput;
  readonly #admin: Json[];
  readonly #compiled = new Map<string, PodPolicy>();
  /** Peers of a rule are the same for every pod the policy selects: resolved once per snapshot. */
  readonly #peerCache = new Map<string, PeerMatch>();

  constructor(snap: Snapshot) {
    this.index = new PodIndex(snap.pods, snap.namespaces);
    this.#policies = snap.policies;
    // Lower priority numbers first; equal priorities are undefined upstream, the name decides here.
    this.#admin = [...snap.policies.adminNetworkPolicies].sort((a, b) => priority(a) - priority(b) || name(a).localeCompare(name(b)));
  }

  policyFor(pod: PodInfo): PodPolicy {
    let c = this.#compiled.get(pod.key);
    if (!c) {
      c = { pod, ingress: this.#direction(pod, 'ingress'), egress: this.#direction(pod, 'egress') };
      this.#compiled.set(pod.key, c);
    }
    return c;
  }

  /**
   * The pods a NetworkPolicy governs (its namespace, its podSelector): the only pods whose chains
   * change when that policy is created, changed or deleted (old and new versions both count).
   */
  selectedBy(networkPolicy: Json): PodInfo[] {
    const meta = (networkPolicy.metadata ?? {}) as Json;
    const spec = (networkPolicy.spec ?? {}) as Json;
    const ns = String(meta.namespace ?? 'default');
    const sel = this.index.selector(spec.podSelector ?? {});
    return this.index.pods.filter((p) => p.namespace === ns && sel.matches(p.labels));
  }

  /** Every IPv4 block the policies name, per direction of the peer (ingress: sources; egress: destinations). */
  referencedBlocks(): { sources: IntervalSet[]; destinations: IntervalSet[] } {
    const sources: IntervalSet[] = [];
    const destinations: IntervalSet[] = [];
    for (const np of this.#policies.networkPolicies) {
      const spec = (np.spec ?? {}) as Json;
      for (const r of list(spec.ingress)) for (const p of list(r.from)) if (p.ipBlock) sources.push(ipBlock(p.ipBlock as Json));
      for (const r of list(spec.egress)) for (const p of list(r.to)) if (p.ipBlock) destinations.push(ipBlock(p.ipBlock as Json));
    }
    const admins = [...this.#admin, ...(this.#policies.baselineAdminNetworkPolicy ? [this.#policies.baselineAdminNetworkPolicy] : [])];
    for (const a of admins) for (const r of list((a.spec as Json | undefined)?.egress)) for (const p of list(r.to)) if (p.networks) destinations.push(networks(p.networks));
    return { sources, destinations };
  }

  #direction(pod: PodInfo, dir: Direction): DirectionPolicy {
    const admin: CompiledRule[] = [];
    for (const anp of this.#admin) if (this.#subjectSelects(anp, pod)) admin.push(...this.#adminRules(anp, pod, dir, 'AdminNetworkPolicy', true));
    const banp = this.#policies.baselineAdminNetworkPolicy;
    const baseline = banp && this.#subjectSelects(banp, pod) ? this.#adminRules(banp, pod, dir, 'BaselineAdminNetworkPolicy', false) : [];
    let network: CompiledRule[] | null = null;
    for (const np of this.#policies.networkPolicies) {
      const meta = (np.metadata ?? {}) as Json;
      const spec = (np.spec ?? {}) as Json;
      if ((meta.namespace ?? 'default') !== pod.namespace) continue;
      if (!affects(spec, dir)) continue;
      if (!this.index.selector(spec.podSelector ?? {}).matches(pod.labels)) continue;
      network ??= [];
      const rules = list(dir === 'ingress' ? spec.ingress : spec.egress);
      rules.forEach((r, i) => {
        const peers = this.#networkPeers(pod.namespace, list(dir === 'ingress' ? r.from : r.to), (dir === 'ingress' ? r.from : r.to) === undefined);
        const origin = `NetworkPolicy ${pod.namespace}/${String(meta.name)} ${dir} rule ${i}`;
        network!.push(...expand('Allow', origin, peers, networkPolicyPorts(r.ports), dir, pod, this.index));
      });
    }
    return { admin, network, baseline };
  }

  #subjectSelects(policy: Json, pod: PodInfo): boolean {
    const subject = ((policy.spec ?? {}) as Json).subject as Json | undefined;
    if (!subject) return false;
    if (subject.namespaces !== undefined) return this.index.selector(subject.namespaces).matches(this.index.namespaceLabels(pod.namespace));
    const pods = subject.pods as Json | undefined;
    if (!pods) return false;
    return this.index.selector(pods.namespaceSelector ?? {}).matches(this.index.namespaceLabels(pod.namespace)) && this.index.selector(pods.podSelector ?? {}).matches(pod.labels);
  }

  #adminRules(policy: Json, pod: PodInfo, dir: Direction, kind: string, allowPass: boolean): CompiledRule[] {
    const spec = (policy.spec ?? {}) as Json;
    const out: CompiledRule[] = [];
    list(dir === 'ingress' ? spec.ingress : spec.egress).forEach((r, i) => {
      const action = r.action as Action;
      if (action !== 'Allow' && action !== 'Deny' && !(allowPass && action === 'Pass')) return;
      const peers = this.#adminPeers(list(dir === 'ingress' ? r.from : r.to));
      const origin = `${kind} ${String((policy.metadata as Json | undefined)?.name)} ${dir} rule ${String(r.name ?? i)}`;
      out.push(...expand(action, origin, peers, adminPolicyPorts(r.ports), dir, pod, this.index));
    });
    return out;
  }

  /** NetworkPolicyPeer[]: no peers listed at all means every peer, pods and external alike. */
  #networkPeers(ownNs: string, peers: Json[], absent: boolean): PeerMatch {
    if (absent || peers.length === 0) return ANY;
    const key = JSON.stringify(['np', ownNs, peers]);
    const hit = this.#peerCache.get(key);
    if (hit) return hit;
    const m = this.#resolveNetworkPeers(ownNs, peers);
    this.#peerCache.set(key, m);
    return m;
  }

  #resolveNetworkPeers(ownNs: string, peers: Json[]): PeerMatch {
    const pods = new Set<string>();
    let ips = NO_IPS;
    for (const p of peers) {
      if (p.ipBlock) ips = ips.union(ipBlock(p.ipBlock as Json));
      else if (p.namespaceSelector !== undefined || p.podSelector !== undefined) {
        for (const k of this.index.select(ownNs, p.namespaceSelector ?? undefined, p.podSelector ?? undefined)) pods.add(k);
      }
    }
    return { any: false, pods, ips };
  }

  /** AdminNetworkPolicy peers: namespaces, pods, networks (egress); nodes are not modelled and match nothing. */
  #adminPeers(peers: Json[]): PeerMatch {
    const key = JSON.stringify(['anp', peers]);
    const hit = this.#peerCache.get(key);
    if (hit) return hit;
    const m = this.#resolveAdminPeers(peers);
    this.#peerCache.set(key, m);
    return m;
  }

  #resolveAdminPeers(peers: Json[]): PeerMatch {
    const pods = new Set<string>();
    let ips = NO_IPS;
    for (const p of peers) {
      if (p.namespaces !== undefined) for (const k of this.index.select(undefined, p.namespaces, undefined)) pods.add(k);
      else if (p.pods !== undefined) {
        const np = p.pods as Json;
        for (const k of this.index.select(undefined, np.namespaceSelector ?? {}, np.podSelector ?? {})) pods.add(k);
      } else if (p.networks !== undefined) ips = ips.union(networks(p.networks));
    }
    return { any: false, pods, ips };
  }
}

/**
 * One rule to compiled rules. Named ports resolve on the protected pod for ingress; for egress on
 * each destination pod, so the rule splits into groups of destinations with equal ports (and
 * external destinations, which have no named ports, get the numeric ports only).
 */
function expand(action: Action, origin: string, peers: PeerMatch, ports: RulePorts, dir: Direction, pod: PodInfo, index: PodIndex): CompiledRule[] {
  if (ports.numeric === undefined) return [{ action, origin, peers, conns: ConnSet.all() }];
  if (ports.named.length === 0) return ports.numeric.isEmpty ? [] : [{ action, origin, peers, conns: ports.numeric }];
  if (dir === 'ingress') {
    const conns = ports.numeric.union(resolveNamed(ports.named, pod));
    return conns.isEmpty ? [] : [{ action, origin, peers, conns }];
  }
  const groups = new Map<string, { conns: ConnSet; pods: Set<string> }>();
  const podKeys = peers.any ? index.pods.map((p) => p.key) : [...peers.pods];
  for (const k of podKeys) {
    const conns = ports.numeric.union(resolveNamed(ports.named, index.pod(k)!));
    if (conns.isEmpty) continue;
    const g = groups.get(conns.toString()) ?? { conns, pods: new Set<string>() };
    g.pods.add(k);
    groups.set(conns.toString(), g);
  }
  const out: CompiledRule[] = [...groups.values()].map((g) => ({ action, origin, peers: { any: false, pods: g.pods, ips: NO_IPS }, conns: g.conns }));
  const ips = peers.any ? ALL_IPV4 : peers.ips;
  if (!ips.isEmpty && !ports.numeric.isEmpty) out.push({ action, origin, peers: { any: false, pods: new Set(), ips }, conns: ports.numeric });
  return out;
}

function affects(spec: Json, dir: Direction): boolean {
  const types = spec.policyTypes;
  if (Array.isArray(types) && types.length > 0) return types.includes(dir === 'ingress' ? 'Ingress' : 'Egress');
  return dir === 'ingress' || list(spec.egress).length > 0;
}

function ipBlock(b: Json): IntervalSet {
  let s = cidrToSet(String(b.cidr)) ?? NO_IPS;
  for (const e of list<string>(b.except)) s = s.subtract(cidrToSet(e) ?? NO_IPS);
  return s;
}

function networks(n: unknown): IntervalSet {
  let s = NO_IPS;
  for (const c of list<string>(n)) if (!isIPv6Cidr(c)) s = s.union(cidrToSet(c) ?? NO_IPS);
  return s;
}

function list<T = Json>(v: unknown): T[] {
  return Array.isArray(v) ? (v as T[]) : [];
}

function priority(p: Json): number {
  return Number(((p.spec ?? {}) as Json).priority ?? 0);
}

function name(p: Json): string {
  return String(((p.metadata ?? {}) as Json).name ?? '');
}
