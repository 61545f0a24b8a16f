/**
 * Rule ports to connection sets. Named ports resolve against a pod's container ports: for
 * ingress the pod the policy protects, for egress the destination, as upstream specifies. A named
 * port the pod does not declare (or declares on another protocol, for NetworkPolicy) allows
 * nothing.
 */
import { ConnSet, parseProtocol, type Protocol } from './connections.ts';
import { IntervalSet } from './intervals.ts';
import type { PodInfo } from './types.ts';

export interface NamedPort {
  name: string;
  /** NetworkPolicy: the rule's protocol must equal the container port's. AdminNetworkPolicy: undefined, the pod's protocol is used. */
  protocol?: Protocol;
}

export interface RulePorts {
  /** Undefined: the rule does not restrict ports at all. */
  numeric?: ConnSet;
  named: NamedPort[];
}

export function resolveNamed(named: readonly NamedPort[], pod: PodInfo): ConnSet {
  let out = ConnSet.none();
  for (const n of named) {
    const cp = pod.ports.find((p) => p.name === n.name);
    if (!cp) continue;
    const proto = parseProtocol(cp.protocol);
    if (!proto || (n.protocol && n.protocol !== proto)) continue;
    out = out.union(ConnSet.of(proto, IntervalSet.of(cp.containerPort, cp.containerPort)));
  }
  return out;
}

type Json = Record<string, unknown>;

/** NetworkPolicyPort[]: protocol (default TCP), port (number or name), endPort. */
export function networkPolicyPorts(ports: unknown): RulePorts {
  const list = Array.isArray(ports) ? (ports as Json[]) : [];
  if (list.length === 0) return { numeric: undefined, named: [] };
  let numeric = ConnSet.none();
  const named: NamedPort[] = [];
  for (const p of list) {
    const proto = parseProtocol(p.protocol as string | undefined);
    if (!proto) continue;
    const port = p.port;
    if (port === undefined || port === null) numeric = numeric.union(ConnSet.of(proto, IntervalSet.of(1, 65535)));
    else if (typeof port === 'string' && !/^\d+$/.test(port)) named.push({ name: port, protocol: proto });
    else {
      const start = Number(port);
      const end = typeof p.endPort === 'number' ? p.endPort : start;
      numeric = numeric.union(ConnSet.of(proto, IntervalSet.of(start, end)));
    }
  }
  return { numeric, named };
}

/** AdminNetworkPolicyPort[]: exactly one of portNumber, namedPort, portRange each. */
export function adminPolicyPorts(ports: unknown): RulePorts {
  if (!Array.isArray(ports)) return { numeric: undefined, named: [] };
  let numeric = ConnSet.none();
  const named: NamedPort[] = [];
  for (const p of ports as Json[]) {
    if (p.portNumber) {
      const pn = p.portNumber as Json;
      const proto = parseProtocol(pn.protocol as string | undefined);
      if (proto) numeric = numeric.union(ConnSet.of(proto, IntervalSet.of(Number(pn.port), Number(pn.port))));
    } else if (typeof p.namedPort === 'string') {
      named.push({ name: p.namedPort });
    } else if (p.portRange) {
      const pr = p.portRange as Json;
      const proto = parseProtocol(pr.protocol as string | undefined);
      if (proto) numeric = numeric.union(ConnSet.of(proto, IntervalSet.of(Number(pr.start), Number(pr.end))));
    }
  }
  return { numeric, named };
}
