/**
 * What a compiled policy allows, per peer: the three layers of upstream's precedence.
 * AdminNetworkPolicy rules decide first (Allow, Deny, or Pass to the next layers); then, if any
 * NetworkPolicy selects the pod in this direction, exactly what those allow; otherwise the
 * BaselineAdminNetworkPolicy's denials, and everything else is allowed. Per connection the first
 * matching rule decides, which is also how nftables walks the rendered chain.
 */
import { ConnSet } from './connections.ts';
import type { CompiledRule, DirectionPolicy, Peer, PeerMatch, PodPolicy } from './types.ts';

export function peerMatches(m: PeerMatch, peer: Peer): boolean {
  if (m.any) return true;
  if (peer.kind === 'pod') return m.pods.has(peer.pod.key);
  return !peer.block.isEmpty && m.ips.contains(peer.block);
}

function firstMatch(rules: readonly CompiledRule[], peer: Peer): { allowed: ConnSet; denied: ConnSet } {
  let decided = ConnSet.none();
  let allowed = ConnSet.none();
  let denied = ConnSet.none();
  for (const r of rules) {
    if (!peerMatches(r.peers, peer)) continue;
    const c = r.conns.subtract(decided);
    if (c.isEmpty) continue;
    if (r.action === 'Allow') allowed = allowed.union(c);
    else if (r.action === 'Deny') denied = denied.union(c);
    decided = decided.union(c);
  }
  return { allowed, denied };
}

export function allowedInDirection(d: DirectionPolicy, peer: Peer): ConnSet {
  const admin = firstMatch(d.admin, peer);
  const rest = ConnSet.all().subtract(admin.allowed).subtract(admin.denied);
  if (d.network) {
    let np = ConnSet.none();
    for (const r of d.network) if (peerMatches(r.peers, peer)) np = np.union(r.conns);
    return admin.allowed.union(rest.intersect(np));
  }
  const baseline = firstMatch(d.baseline, peer);
  return admin.allowed.union(rest.subtract(baseline.denied));
}

/** Connections from src to dst: what src's egress allows to dst and dst's ingress allows from src. */
export function allowedBetween(src: { policy?: PodPolicy; peer: Peer }, dst: { policy?: PodPolicy; peer: Peer }): ConnSet {
  const egress = src.policy ? allowedInDirection(src.policy.egress, dst.peer) : ConnSet.all();
  if (egress.isEmpty) return egress;
  const ingress = dst.policy ? allowedInDirection(dst.policy.ingress, src.peer) : ConnSet.all();
  return egress.intersect(ingress);
}
