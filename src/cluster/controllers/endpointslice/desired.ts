/**
 * The endpoints a Service's EndpointSlices should hold (endpointslice reconciler's
 * podToEndpoint, getEndpointPorts): one endpoint per pod with an IP of the address type, with
 * conditions ready (publishNotReadyAddresses, or ready and not terminating), serving (ready even
 * while terminating) and terminating; nodeName, zone (the node's topology.kubernetes.io/zone),
 * hostname and targetRef. Endpoints are grouped by their resolved port list: every slice holds
 * endpoints of one port list.
 */
import type { Informer, K8sObject } from '../../client/types.ts';
import { isPodReady, type Pod } from '../pod-util.ts';
import { isHeadless, podHostname, podIPOfFamily, shouldPodBeInEndpoints, type Service } from '../endpoints/pod-address.ts';
import { podPorts, type EndpointPort } from '../endpoints/subsets.ts';

export const LABEL_ZONE = 'topology.kubernetes.io/zone';

export interface SliceEndpoint {
  addresses: string[];
  conditions: { ready: boolean; serving: boolean; terminating: boolean };
  hostname?: string;
  targetRef: { kind: 'Pod'; namespace: string; name: string; uid: string };
  nodeName?: string;
  zone?: string;
}

export interface EndpointGroup {
  /** The slice's ports, sorted (an empty list for a headless Service without ports). */
  ports: EndpointPort[];
  endpoints: SliceEndpoint[];
}

export const portsKey = (ports: readonly EndpointPort[] | undefined): string =>
  JSON.stringify((ports ?? []).map((p) => [p.name ?? '', p.port, p.protocol ?? 'TCP', p.appProtocol ?? '']).sort());

/** An endpoint's identity across syncs: the pod it stands for. */
export const endpointKey = (e: { targetRef?: { uid?: string; name?: string }; addresses?: string[] }): string =>
  e.targetRef?.uid || e.targetRef?.name || (e.addresses ?? []).join(',');

export function desiredEndpoints(svc: Service, pods: readonly Pod[], nodes: Informer<K8sObject>, addressType: string): Map<string, EndpointGroup> {
  const groups = new Map<string, EndpointGroup>();
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  const hasPorts = (svc.spec?.ports ?? []).length > 0;
  if (!hasPorts && !isHeadless(svc)) return groups;
  for (const pod of pods) {
    // Terminating pods stay listed, not ready, so proxies can drain them (serving/terminating).
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ip = podIPOfFamily(pod, addressType);
    if (!ip) continue;
    const ports = podPorts(pod, svc);
    if (hasPorts && ports.length === 0) continue;
    const key = portsKey(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports: [...ports].sort((a, b) => (portsKey([a]) < portsKey([b]) ? -1 : 1)), endpoints: [] }));
    const terminating = !!pod.metadata.deletionTimestamp;
    const ready = isPodReady(pod);
    const hostname = podHostname(pod, svc);
    const nodeName: string | undefined = pod.spec?.nodeName || undefined;
    const zone: string | undefined = nodeName ? nodes.get('', nodeName)?.metadata.labels?.[LABEL_ZONE] : undefined;
    g.endpoints.push({
      addresses: [ip],
      conditions: { ready: publishNotReady || (ready && !terminating), serving: publishNotReady || ready, terminating },
      ...(hostname ? { hostname } : {}),
      targetRef: { kind: 'Pod', namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' },
      ...(nodeName ? { nodeName } : {}),
      ...(zone ? { zone } : {}),
    });
  }
  return groups;
}
