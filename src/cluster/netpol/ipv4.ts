/** IPv4 addresses as integers, CIDRs as intervals, and the "a.b.c.d-e.f.g.h" range text. */
import { IntervalSet } from './intervals.ts';
import { parseCIDRSloppy } from '../../util/ip-sloppy.ts';

export const ALL_IPV4 = IntervalSet.of(0, 2 ** 32 - 1);

export function parseIPv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const o = Number(m[i]);
    if (o > 255 || (m[i]!.length > 1 && m[i]![0] === '0')) return undefined;
    n = n * 256 + o;
  }
  return n;
}

export function formatIPv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** An IPv4 CIDR as an interval set; undefined for IPv6 (the model is IPv4 only) or garbage. */
export function cidrToSet(cidr: string): IntervalSet | undefined {
  // Read as upstream's consumers read a legacy CIDR field (ParseCIDRSloppy): "010.1.0.0/16" is
  // 10.1.0.0/16 and "::ffff:10.0.0.0/104" is 10.0.0.0/8; a strict parser here would drop an
  // ipBlock's except the API accepted and so allow what it excepts.
  const c = parseCIDRSloppy(cidr);
  if (!c || c.family !== 4) return undefined;
  const start = Number(c.network);
  return IntervalSet.of(start, start + 2 ** (32 - c.bits) - 1);
}

export function isIPv6Cidr(cidr: string): boolean {
  return cidr.includes(':');
}

export function formatRanges(s: IntervalSet): string {
  return s.intervals.map(([a, b]) => `${formatIPv4(a)}-${formatIPv4(b)}`).join(',');
}

/**
 * The coarsest partition of `universe` into intervals that no block's boundary cuts: every block
 * is a union of whole atoms, so "is this external peer inside the block" has one answer per atom.
 */
export function ipAtoms(blocks: readonly IntervalSet[], universe: IntervalSet = ALL_IPV4): IntervalSet[] {
  const cuts = new Set<number>();
  for (const [a, b] of universe.intervals) {
    cuts.add(a);
    cuts.add(b + 1);
  }
  for (const blk of blocks) {
    for (const [a, b] of blk.intervals) {
      cuts.add(a);
      cuts.add(b + 1);
    }
  }
  const sorted = [...cuts].sort((x, y) => x - y);
  const atoms: IntervalSet[] = [];
  for (let i = 0; i + 1 < sorted.length; i++) {
    const atom = IntervalSet.of(sorted[i]!, sorted[i + 1]! - 1).intersect(universe);
    if (!atom.isEmpty) atoms.push(atom);
  }
  return atoms;
}
