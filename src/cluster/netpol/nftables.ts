/**
 * Renders the compiled policy (compile.ts) of a node's pods as one nftables table, replaced
 * atomically by `nft -f`. Each pod's direction is a chain walking the same rules in the same order
 * as evaluate.ts: AdminNetworkPolicy rules (Allow → return, Deny → drop, Pass → on to the next
 * layer), then the NetworkPolicy chain (allow rules return, the rest drops) or, when no
 * NetworkPolicy selects the pod, the baseline chain (Deny drops, the rest returns). A packet is
 * checked against its source's egress chain and then its destination's ingress chain in the
 * forward hook; replies of allowed connections pass by conntrack, so a policy change governs new
 * connections at once and leaves established ones alone.
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
}

export interface Rendered {
  script: string;
  /** Rules emitted, for the benchmark and the logs. */
  ruleCount: number;
}

export function renderNftables(model: PolicyModel, localPods: readonly PodInfo[], opts: RenderOptions): Rendered {
  const table = opts.table ?? 'portcullis_netpol';
  const ipsByKey = new Map(opts.allPods.map((p) => [p.key, p.ips]));
  const sets = new Map<string, string>();
  const chains: string[] = [];
  const dispatch: string[] = [];
  let ruleCount = 0;

  const setFor = (elements: string[]): string => {
    const body = elements.join(', ');
    const name = `a_${createHash('sha256').update(body).digest('hex').slice(0, 16)}`;
    sets.set(name, body);
    return `@${name}`;
  };

  const peerMatch = (m: PeerMatch, dir: 'saddr' | 'daddr'): string[] | null => {
    if (m.any) return [''];
    const out: string[] = [];
    const ips = [...m.pods].flatMap((k) => ipsByKey.get(k) ?? []);
    if (ips.length > 0) out.push(`ip ${dir} ${setFor([...new Set(ips)].sort())} `);
    if (!m.ips.isEmpty) out.push(`ip ${dir} != @pod_networks ${m.ips.equals(ALL_IPV4) ? '' : `ip ${dir} ${setFor(ranges(m.ips))} `}`);
    return out.length ? out : null;
  };

  const emit = (rules: readonly CompiledRule[], dir: 'saddr' | 'daddr', verdict: (r: CompiledRule, next: string) => string, next: string, lines: string[]): void => {
    for (const r of rules) {
      const peers = peerMatch(r.peers, dir);
      if (!peers) continue;
      for (const p of peers) {
        for (const c of connMatches(r.conns)) {
          lines.push(`    ${p}${c}${verdict(r, next)} comment ${JSON.stringify(r.origin.slice(0, 120))}`);
          ruleCount++;
        }
      }
    }
  };

  const direction = (id: string, d: DirectionPolicy, dir: 'saddr' | 'daddr'): void => {
    const admin: string[] = [];
    const next = `${id}_np`;
    emit(d.admin, dir, (r, n) => (r.action === 'Allow' ? 'return' : r.action === 'Deny' ? 'drop' : `goto ${n}`), next, admin);
    chains.push(chain(id, [...admin, `    goto ${next}`]));
    if (d.network) {
      const np: string[] = [];
      emit(d.network, dir, () => 'return', next, np);
      chains.push(chain(next, [...np, '    drop']));
    } else {
      const base: string[] = [];
      emit(d.baseline, dir, (r) => (r.action === 'Deny' ? 'drop' : 'return'), next, base);
      chains.push(chain(next, [...base, '    return']));
    }
  };

  localPods.forEach((pod, i) => {
    const policy = model.policyFor(pod);
    for (const ip of pod.ips) {
      dispatch.push(`    ip saddr ${ip} jump out_${i} comment ${JSON.stringify(pod.key)}`);
      dispatch.push(`    ip daddr ${ip} jump in_${i} comment ${JSON.stringify(pod.key)}`);
    }
    // The peer of an egress rule is the destination; of an ingress rule, the source.
    direction(`out_${i}`, policy.egress, 'daddr');
    direction(`in_${i}`, policy.ingress, 'saddr');
  });

  const setDefs = [...sets].map(([name, body]) => `  set ${name} {\n    type ipv4_addr\n    flags interval\n    elements = { ${body} }\n  }`);
  const podNets = opts.podNetworks.length ? `    elements = { ${opts.podNetworks.join(', ')} }\n` : '';
  const script = [
    `table inet ${table}`,
    `delete table inet ${table}`,
    `table inet ${table} {`,
    `  set pod_networks {\n    type ipv4_addr\n    flags interval\n${podNets}  }`,
    ...setDefs,
    chain('forward', ['    type filter hook forward priority filter; policy accept;', '    ct state established,related accept', '    ct state invalid drop', ...dispatch]),
    ...chains,
    '}',
    '',
  ].join('\n');
  return { script, ruleCount };
}

function chain(name: string, body: string[]): string {
  return `  chain ${name} {\n${body.join('\n')}\n  }`;
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
