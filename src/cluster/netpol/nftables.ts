/**
 * Renders the compiled policy (compile.ts) of a node's pods as one nftables table, replaced
 * atomically by `nft -f`. Each direction has its own base chain on the forward hook (egress of the
 * source first, then ingress of the destination), so `accept` means "allowed in this direction"
 * and the other direction is still checked; replies of allowed connections pass by conntrack, so a
 * policy change governs new connections at once and leaves established ones alone. A pod's
 * direction walks the same layers in the same order as evaluate.ts: its AdminNetworkPolicy rules
 * (Allow accepts, Deny drops, Pass returns to the next layer), then either the NetworkPolicies
 * that select it (any allow rule accepts; the rest drops) or, when none does, the baseline rules
 * (Deny drops, the rest accepts).
 *
 * Every chain but the pods' own is named by its content (`c_<hash>`) and shared: one chain per
 * NetworkPolicy's rules (as they compile for the pods it selects), one per list of policies a pod
 * is selected by, one per admin and baseline rule list. A pod's chain (`p<id>_in`, `p<id>_out`)
 * only jumps to its admin chain and goes to its policy list. So a new policy sends its own rules
 * once, a short list of jumps per distinct set of selecting policies, and two lines per selected
 * pod: what `nft -f` parses grows with what changed, not with the pods or the other policies.
 */
import { createHash } from 'node:crypto';
import type { PolicyModel } from './compile.ts';
import { PROTOCOLS, type ConnSet } from './connections.ts';
import { ALL_IPV4, formatIPv4 } from './ipv4.ts';
import type { IntervalSet } from './intervals.ts';
import type { CompiledRule, DirectionPolicy, PeerMatch, PodInfo } from './types.ts';

export interface RenderOptions {
  /** nftables table name (family inet). */
  table?: string;
  /** The pod networks: an ipBlock never selects a pod, so external matches exclude these. */
  podNetworks: string[];
  /** Every pod of the cluster with its addresses (peers are matched by address). */
  allPods: readonly PodInfo[];
  /** Sets already in the table (from earlier renders): a partial render does not send them again. */
  knownSets?: ReadonlySet<string>;
  /** Content chains already in the table: a partial render does not send them again. */
  knownChains?: ReadonlySet<string>;
  /** What each pod chain in the table holds now: a partial render leaves those that stay alone. */
  knownPodChains?: ReadonlyMap<string, string>;
}

export interface Rendered {
  script: string;
  /** Policy rules in the chains the script sends, for the benchmark and the logs. */
  ruleCount: number;
  /** The address sets the rendered rules use (content-named). */
  sets: string[];
  /** The content chains the rendered pods use. */
  chains: string[];
  /** Pod chain -> its rules (one per line), for the rendered pods. */
  podChains: Map<string, string>;
}

/** Stable chain names per pod: the same pod keeps its chains across full and partial renders. */
export function podChainId(pod: PodInfo): string {
  return `p${createHash('sha256').update(pod.key).digest('hex').slice(0, 12)}`;
}

/** Builds the sets and chains a set of pods needs (shared by full and partial renders). */
class ChainWriter {
  readonly sets = new Map<string, string>();
  /** content chain name -> rule lines (without indentation); shared by the pods that compile alike */
  readonly chains = new Map<string, string[]>();
  /** policy rules per content chain */
  readonly #ruleCounts = new Map<string, number>();
  /** pod chain name -> its rules, one per line */
  readonly podChains = new Map<string, string>();
  readonly #ipsByKey: Map<string, readonly string[]>;

  constructor(allPods: readonly PodInfo[]) {
    this.#ipsByKey = new Map(allPods.map((p) => [p.key, p.ips]));
  }

  /** Policy rules in the chains `names` (all chains by default). */
  ruleCount(names: Iterable<string> = this.chains.keys()): number {
    let n = 0;
    for (const c of names) n += this.#ruleCounts.get(c) ?? 0;
    return n;
  }

  #setFor(elements: string[]): string {
    const body = elements.join(', ');
    const name = `a_${createHash('sha256').update(body).digest('hex').slice(0, 16)}`;
    this.sets.set(name, body);
    return `@${name}`;
  }

  readonly #peerText = new WeakMap<PeerMatch, { saddr?: string[] | null; daddr?: string[] | null }>();

  #peerMatch(m: PeerMatch, dir: 'saddr' | 'daddr'): string[] | null {
    let e = this.#peerText.get(m);
    if (!e) this.#peerText.set(m, (e = {}));
    if (e[dir] === undefined) e[dir] = this.#peerMatchText(m, dir);
    return e[dir]!;
  }

  #peerMatchText(m: PeerMatch, dir: 'saddr' | 'daddr'): string[] | null {
    if (m.any) return [''];
    const out: string[] = [];
    const ips = [...m.pods].flatMap((k) => this.#ipsByKey.get(k) ?? []);
    if (ips.length > 0) out.push(`ip ${dir} ${this.#setFor([...new Set(ips)].sort())} `);
    if (!m.ips.isEmpty) out.push(`ip ${dir} != @pod_networks ${m.ips.equals(ALL_IPV4) ? '' : `ip ${dir} ${this.#setFor(ranges(m.ips))} `}`);
    return out.length ? out : null;
  }

  #emit(rules: readonly CompiledRule[], dir: 'saddr' | 'daddr', verdict: (r: CompiledRule) => string): string[] {
    const lines: string[] = [];
    for (const r of rules) {
      const peers = this.#peerMatch(r.peers, dir);
      if (!peers) continue;
      for (const p of peers) {
        for (const c of connMatches(r.conns)) lines.push(`${p}${c}${verdict(r)} comment ${JSON.stringify(r.origin.slice(0, 120))}`);
      }
    }
    return lines;
  }

  /** The chain holding `lines` (named by that content: equal content, one chain). */
  #contentChain(lines: string[], policyRules: number): string {
    const name = `c_${createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16)}`;
    if (!this.chains.has(name)) {
      this.chains.set(name, lines);
      this.#ruleCounts.set(name, policyRules);
    }
    return name;
  }

  #direction(podChain: string, d: DirectionPolicy, dir: 'saddr' | 'daddr'): void {
    const lines: string[] = [];
    const admin = this.#emit(d.admin, dir, (r) => (r.action === 'Allow' ? 'accept' : r.action === 'Deny' ? 'drop' : 'return'));
    if (admin.length) lines.push(`jump ${this.#contentChain(admin, admin.length)}`);
    if (d.network) {
      // Allow rules add up, so each policy's rules can sit in a chain of their own; any that accepts decides.
      const jumps: string[] = [];
      for (const rules of byPolicy(d.network)) {
        const allow = this.#emit(rules, dir, () => 'accept');
        if (allow.length) jumps.push(`jump ${this.#contentChain(allow, allow.length)}`);
      }
      lines.push(`goto ${this.#contentChain([...jumps, 'drop'], 0)}`);
    } else {
      const baseline = this.#emit(d.baseline, dir, (r) => (r.action === 'Deny' ? 'drop' : 'accept'));
      lines.push(`goto ${this.#contentChain([...baseline, 'accept'], baseline.length)}`);
    }
    this.podChains.set(podChain, lines.join('\n'));
  }

  pod(model: PolicyModel, pod: PodInfo): void {
    const policy = model.policyFor(pod);
    const id = podChainId(pod);
    // The peer of an egress rule is the destination; of an ingress rule, the source.
    this.#direction(`${id}_out`, policy.egress, 'daddr');
    this.#direction(`${id}_in`, policy.ingress, 'saddr');
  }
}

/** The whole table for a node's pods, replacing whatever was there in one transaction. */
export function renderNftables(model: PolicyModel, localPods: readonly PodInfo[], opts: RenderOptions): Rendered {
  const table = opts.table ?? 'portcullis_netpol';
  const w = new ChainWriter(opts.allPods);
  const byIp = new Map<string, PodInfo[]>();
  for (const pod of localPods) {
    w.pod(model, pod);
    for (const ip of pod.ips) byIp.set(ip, [...(byIp.get(ip) ?? []), pod]);
  }
  const egress: string[] = [];
  const ingress: string[] = [];
  for (const [ip, owners] of byIp) {
    const comment = `comment ${JSON.stringify(owners.map((p) => p.key).join(' ').slice(0, 120))}`;
    // Two local pods claiming one address (stale state): whose policy applies is unknown, so new connections are refused.
    const verdict = (dir: string) => (owners.length === 1 ? `jump ${podChainId(owners[0]!)}_${dir}` : 'drop');
    egress.push(`${ip} ${comment} : ${verdict('out')}`);
    ingress.push(`${ip} ${comment} : ${verdict('in')}`);
  }
  const setDefs = [...w.sets].map(([name, body]) => `  set ${name} {\n    type ipv4_addr\n    flags interval\n    elements = { ${body} }\n  }`);
  const podNets = opts.podNetworks.length ? `    elements = { ${opts.podNetworks.join(', ')} }\n` : '';
  const conntrack = ['ct state established,related accept', 'ct state invalid drop'];
  const script = [
    `table inet ${table}`,
    `delete table inet ${table}`,
    `table inet ${table} {`,
    `  set pod_networks {\n    type ipv4_addr\n    flags interval\n${podNets}  }`,
    ...setDefs,
    // A packet finds its pod's chain by address in one lookup, however many pods the node has.
    podMap('egress_pods', egress),
    podMap('ingress_pods', ingress),
    // An accept ends only its own base chain: the ingress check still follows the egress one.
    chain('egress', ['type filter hook forward priority filter - 1; policy accept;', ...conntrack, 'ip saddr vmap @egress_pods']),
    chain('ingress', ['type filter hook forward priority filter; policy accept;', ...conntrack, 'ip daddr vmap @ingress_pods']),
    ...[...w.chains].map(([name, lines]) => chain(name, lines)),
    ...[...w.podChains].map(([name, rules]) => chain(name, rules.split('\n'))),
    '}',
    '',
  ].join('\n');
  return { script, ruleCount: w.ruleCount(), sets: [...w.sets.keys()], chains: [...w.chains.keys()], podChains: w.podChains };
}

/**
 * What a policy change needs, in one transaction: the content chains of `pods` (already on this
 * node, with their pod chains and dispatch rules in place from a full render) that the table does
 * not hold yet, and the pod chains whose content changed rewritten (a jump and a goto; pod chains
 * of pods whose layers stay the same are left as they are). Sets and chains are named by
 * content, so re-sending one is harmless; those no longer used stay until the next full render.
 */
export function renderPodUpdates(model: PolicyModel, pods: readonly PodInfo[], opts: RenderOptions): Rendered {
  const table = opts.table ?? 'portcullis_netpol';
  const w = new ChainWriter(opts.allPods);
  for (const pod of pods) w.pod(model, pod);
  const lines: string[] = [];
  for (const [name, body] of w.sets) if (!opts.knownSets?.has(name)) lines.push(`add set inet ${table} ${name} { type ipv4_addr; flags interval; elements = { ${body} }; }`);
  const fresh = [...w.chains.keys()].filter((c) => !opts.knownChains?.has(c));
  // Without a record of the table a chain may exist already: flushed first, so it holds its rules once.
  for (const name of fresh) lines.push(`add chain inet ${table} ${name}`, ...(opts.knownChains ? [] : [`flush chain inet ${table} ${name}`]));
  for (const name of fresh) for (const r of w.chains.get(name)!) lines.push(`add rule inet ${table} ${name} ${r}`);
  for (const [name, rules] of w.podChains) {
    const was = opts.knownPodChains?.get(name);
    if (was === rules) continue;
    if (was === undefined) lines.push(`add chain inet ${table} ${name}`);
    lines.push(`flush chain inet ${table} ${name}`, ...rules.split('\n').map((r) => `add rule inet ${table} ${name} ${r}`));
  }
  return { script: lines.join('\n') + '\n', ruleCount: w.ruleCount(fresh), sets: [...w.sets.keys()], chains: [...w.chains.keys()], podChains: w.podChains };
}

/** NetworkPolicy rules in compile order, one group per policy (the origin names the policy before " rule N"). */
function byPolicy(rules: readonly CompiledRule[]): CompiledRule[][] {
  const groups = new Map<string, CompiledRule[]>();
  for (const r of rules) {
    const policy = r.origin.replace(/ rule [^ ]+$/, '');
    const g = groups.get(policy);
    if (g) g.push(r);
    else groups.set(policy, [r]);
  }
  return [...groups.values()];
}

function podMap(name: string, elements: string[]): string {
  return `  map ${name} {\n    type ipv4_addr : verdict\n${elements.length ? `    elements = { ${elements.join(',\n      ')} }\n` : ''}  }`;
}

function chain(name: string, body: string[]): string {
  return `  chain ${name} {\n${body.map((l) => `    ${l}`).join('\n')}\n  }`;
}

function ranges(s: IntervalSet): string[] {
  return s.intervals.map(([a, b]) => (a === b ? formatIPv4(a) : `${formatIPv4(a)}-${formatIPv4(b)}`));
}

/** One match per protocol (empty string: every connection). */
function connMatches(c: ConnSet): string[] {
  if (c.isAll) return [''];
  const out: string[] = [];
  for (const p of PROTOCOLS) {
    const ports = c.byProto[p];
    if (ports.isEmpty) continue;
    const proto = p.toLowerCase();
    if (ports.intervals.length === 1 && ports.intervals[0]![0] === 1 && ports.intervals[0]![1] === 65535) out.push(`meta l4proto ${proto} `);
    else out.push(`${proto} dport { ${ports.intervals.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(', ')} } `);
  }
  return out;
}
