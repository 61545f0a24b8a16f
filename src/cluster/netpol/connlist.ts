/**
 * The permitted connections between the workloads of a snapshot and the external address space,
 * in np-guard's connlist form: "src => dst : conn" lines or [{src, dst, conn}] JSON. A workload is
 * "namespace/name[Kind]", external space "a.b.c.d-e.f.g.h[External]", cut into the atoms that the
 * policies' ipBlocks (and networks) delimit. Connections of a workload to itself are left out.
 */
import { PolicyModel, type Snapshot } from './compile.ts';
import { allowedBetween } from './evaluate.ts';
import { formatRanges, ipAtoms } from './ipv4.ts';
import type { Peer, PodInfo, PodPolicy } from './types.ts';

export interface Connection {
  src: string;
  dst: string;
  conn: string;
}

interface Endpoint {
  label: string;
  peer: Peer;
  policy?: PodPolicy;
}

export function workloadLabel(p: PodInfo): string {
  return `${p.namespace}/${p.owner.name}[${p.owner.kind}]`;
}

export function connectionList(snap: Snapshot, model: PolicyModel = new PolicyModel(snap)): Connection[] {
  // One representative pod per workload.
  const workloads = new Map<string, Endpoint>();
  for (const p of snap.pods) {
    const label = workloadLabel(p);
    if (!workloads.has(label)) workloads.set(label, { label, peer: { kind: 'pod', pod: p }, policy: model.policyFor(p) });
  }
  const blocks = model.referencedBlocks();
  const external = (bs: typeof blocks.sources): Endpoint[] => ipAtoms(bs).map((a) => ({ label: `${formatRanges(a)}[External]`, peer: { kind: 'ip', block: a } }));
  const pods = [...workloads.values()];
  const sources = [...external(blocks.sources), ...pods];
  const destinations = [...external(blocks.destinations), ...pods];
  const out: Connection[] = [];
  for (const s of sources) {
    for (const d of destinations) {
      if (s.label === d.label || (s.peer.kind === 'ip' && d.peer.kind === 'ip')) continue;
      const c = allowedBetween(s, d);
      if (!c.isEmpty) out.push({ src: s.label, dst: d.label, conn: c.toString() });
    }
  }
  return out.sort((a, b) => cmp(a.src, b.src) || cmp(a.dst, b.dst));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function formatConnectionsText(conns: readonly Connection[]): string {
  return conns.map((c) => `${c.src} => ${c.dst} : ${c.conn}`).join('\n') + (conns.length ? '\n' : '');
}
