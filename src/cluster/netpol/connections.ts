/**
 * Connection sets: for each L4 protocol NetworkPolicy knows (TCP, UDP, SCTP), a set of ports. The
 * text form is np-guard's: "All Connections", or "PROTO ports" per protocol in name order, ports
 * as ranges ("TCP 1-79,81-65535,UDP 53").
 */
import { IntervalSet } from './intervals.ts';

export const PROTOCOLS = ['SCTP', 'TCP', 'UDP'] as const;
export type Protocol = (typeof PROTOCOLS)[number];
export const ALL_PORTS = IntervalSet.of(1, 65535);

export class ConnSet {
  readonly byProto: Readonly<Record<Protocol, IntervalSet>>;

  private constructor(byProto: Record<Protocol, IntervalSet>) {
    this.byProto = byProto;
  }

  static readonly #NONE = new ConnSet({ SCTP: IntervalSet.empty(), TCP: IntervalSet.empty(), UDP: IntervalSet.empty() });
  static readonly #ALL = new ConnSet({ SCTP: ALL_PORTS, TCP: ALL_PORTS, UDP: ALL_PORTS });

  static none(): ConnSet {
    return ConnSet.#NONE;
  }

  static all(): ConnSet {
    return ConnSet.#ALL;
  }

  static of(proto: Protocol, ports: IntervalSet): ConnSet {
    const m = { SCTP: IntervalSet.empty(), TCP: IntervalSet.empty(), UDP: IntervalSet.empty() };
    m[proto] = ports.intersect(ALL_PORTS);
    return new ConnSet(m);
  }

  private map2(o: ConnSet, f: (a: IntervalSet, b: IntervalSet) => IntervalSet): ConnSet {
    return new ConnSet({ SCTP: f(this.byProto.SCTP, o.byProto.SCTP), TCP: f(this.byProto.TCP, o.byProto.TCP), UDP: f(this.byProto.UDP, o.byProto.UDP) });
  }

  union(o: ConnSet): ConnSet {
    if (o.isEmpty) return this;
    if (this.isEmpty) return o;
    return this.map2(o, (a, b) => a.union(b));
  }

  intersect(o: ConnSet): ConnSet {
    return this.map2(o, (a, b) => a.intersect(b));
  }

  subtract(o: ConnSet): ConnSet {
    if (o.isEmpty) return this;
    return this.map2(o, (a, b) => a.subtract(b));
  }

  get isEmpty(): boolean {
    return PROTOCOLS.every((p) => this.byProto[p].isEmpty);
  }

  get isAll(): boolean {
    return PROTOCOLS.every((p) => this.byProto[p].equals(ALL_PORTS));
  }

  equals(o: ConnSet): boolean {
    return PROTOCOLS.every((p) => this.byProto[p].equals(o.byProto[p]));
  }

  /** Whether a connection on this protocol and port is in the set. */
  allows(proto: Protocol, port: number): boolean {
    return this.byProto[proto].has(port);
  }

  toString(): string {
    if (this.isAll) return 'All Connections';
    if (this.isEmpty) return 'No Connections';
    const parts: string[] = [];
    for (const p of PROTOCOLS) {
      const s = this.byProto[p];
      if (s.isEmpty) continue;
      parts.push(`${p} ${s.intervals.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(',')}`);
    }
    return parts.join(',');
  }
}

export function parseProtocol(p: string | undefined): Protocol | undefined {
  const v = p ?? 'TCP';
  return (PROTOCOLS as readonly string[]).includes(v) ? (v as Protocol) : undefined;
}
