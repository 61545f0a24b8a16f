/**
 * The subsets of a Service's Endpoints (endpoints_controller.go syncService, addEndpointSubset,
 * endpoints.RepackSubsets, truncateEndpoints): one address per pod with an IP of the Service's
 * family; ready pods (or all, with publishNotReadyAddresses) in addresses, the others in
 * notReadyAddresses; addresses with the same resolved ports share a subset. More than 1000
 * addresses are cut down proportionally per subset, ready ones kept first.
 */
import { isPodReady, type Pod } from '../pod-util.ts';
import { findPort, isHeadless, podHostname, podIPOfFamily, serviceFamilies, shouldPodBeInEndpoints, type Service } from './pod-address.ts';

export const MAX_ENDPOINT_ADDRESSES = 1000;

export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef: { kind: 'Pod'; namespace: string; name: string; uid: string };
}

export interface EndpointPort {
  name?: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

export interface ComputedSubsets {
  subsets: EndpointSubset[];
  truncated: boolean;
}

/** The resolved ports of one pod for the Service; a port the pod cannot serve is left out. */
export function podPorts(pod: Pod, svc: Service): EndpointPort[] {
  const out: EndpointPort[] = [];
  for (const sp of svc.spec?.ports ?? []) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    out.push({ ...(sp.name ? { name: sp.name } : {}), port, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) });
  }
  return out;
}

function address(pod: Pod, svc: Service, ip: string): EndpointAddress {
  const hostname = podHostname(pod, svc);
  return {
    ip,
    ...(hostname ? { hostname } : {}),
    ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
    targetRef: { kind: 'Pod', namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' },
  };
}

const portKey = (ports: readonly EndpointPort[]): string => JSON.stringify(ports.map((p) => [p.name ?? '', p.port, p.protocol, p.appProtocol ?? '']).sort());
const byAddress = (a: EndpointAddress, b: EndpointAddress): number => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : a.targetRef.uid < b.targetRef.uid ? -1 : a.targetRef.uid > b.targetRef.uid ? 1 : 0);
const byPort = (a: EndpointPort, b: EndpointPort): number => ((a.name ?? '') < (b.name ?? '') ? -1 : (a.name ?? '') > (b.name ?? '') ? 1 : a.port - b.port);

export function computeSubsets(svc: Service, pods: readonly Pod[]): ComputedSubsets {
  const tolerateUnready = svc.spec?.publishNotReadyAddresses === true;
  const family = serviceFamilies(svc)[0]!;
  const groups = new Map<string, { ports: EndpointPort[]; ready: EndpointAddress[]; notReady: EndpointAddress[] }>();
  const hasPorts = (svc.spec?.ports ?? []).length > 0;
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, tolerateUnready)) continue;
    const ip = podIPOfFamily(pod, family);
    if (!ip) continue;
    // A Service without ports gets bare addresses only when it is headless (DNS records).
    if (!hasPorts && !isHeadless(svc)) continue;
    const ports = podPorts(pod, svc).sort(byPort);
    if (hasPorts && ports.length === 0) continue;
    const key = portKey(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, ready: [], notReady: [] }));
    (tolerateUnready || isPodReady(pod) ? g.ready : g.notReady).push(address(pod, svc, ip));
  }
  const subsets = [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, g]): EndpointSubset => ({
      ...(g.ready.length ? { addresses: g.ready.sort(byAddress) } : {}),
      ...(g.notReady.length ? { notReadyAddresses: g.notReady.sort(byAddress) } : {}),
      ...(g.ports.length ? { ports: g.ports } : {}),
    }));
  const truncated = truncate(subsets);
  return { subsets: subsets.filter((s) => s.addresses || s.notReadyAddresses), truncated };
}

/**
 * truncateEndpoints: over capacity, not-ready addresses go first; each subset keeps its share of
 * what is left (rounded down), the last one whatever remains.
 */
function truncate(subsets: EndpointSubset[]): boolean {
  let ready = 0;
  let notReady = 0;
  for (const s of subsets) {
    ready += s.addresses?.length ?? 0;
    notReady += s.notReadyAddresses?.length ?? 0;
  }
  if (ready + notReady <= MAX_ENDPOINT_ADDRESSES) return false;
  const truncateReady = ready > MAX_ENDPOINT_ADDRESSES;
  const max = truncateReady ? MAX_ENDPOINT_ADDRESSES : MAX_ENDPOINT_ADDRESSES - ready;
  const total = truncateReady ? ready : notReady;
  let canBeAdded = max;
  subsets.forEach((s, i) => {
    const list = truncateReady ? s.addresses : s.notReadyAddresses;
    const n = list?.length ?? 0;
    const keep = i === subsets.length - 1 ? canBeAdded : Math.min(canBeAdded, Math.floor((max * n) / total));
    if (truncateReady) {
      delete s.notReadyAddresses;
      if (list) s.addresses = list.slice(0, keep);
    } else if (list) s.notReadyAddresses = list.slice(0, keep);
    canBeAdded -= Math.min(keep, n);
  });
  for (const s of subsets) {
    if (s.addresses?.length === 0) delete s.addresses;
    if (s.notReadyAddresses?.length === 0) delete s.notReadyAddresses;
  }
  return true;
}
