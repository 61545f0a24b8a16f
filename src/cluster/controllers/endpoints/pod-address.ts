/**
 * What the Endpoints and EndpointSlice controllers share about pods behind a Service
 * (pkg/controller/util/endpoint/controller_utils.go, pkg/api/v1/pod FindPort): which pods belong
 * in endpoints at all, which of a pod's IPs serves a Service's family, how a Service port maps to
 * a pod port (named targetPorts by container port name and protocol), and which Services select
 * a pod.
 */
import { selectorFromMetav1, type LabelSelector } from '../../../api/selectors/label-selector.ts';
import type { Informer, K8sObject } from '../../client/types.ts';
import type { Pod } from '../pod-util.ts';
import { parseIPSloppy } from '../../../util/ip-sloppy.ts';

export type Service = K8sObject;

/**
 * The Service's selector, or undefined when it has none: such Services' endpoints are managed by
 * someone else (upstream skips a nil selector; an empty map does not survive the API round trip).
 */
export function serviceSelector(svc: Service): LabelSelector | undefined {
  const sel = svc.spec?.selector;
  if (!sel || typeof sel !== 'object' || Object.keys(sel).length === 0) return undefined;
  try {
    return selectorFromMetav1({ matchLabels: sel });
  } catch {
    return undefined;
  }
}

export const isHeadless = (svc: Service): boolean => svc.spec?.clusterIP === 'None';

/**
 * ShouldPodBeInEndpoints (k8s.io/endpointslice/util, 1.33): a pod with an IP that is not terminal
 * (Succeeded or Failed, whatever its restartPolicy: an evicted or preempted Deployment pod too;
 * the node gives its address back, and it may be another pod's by now); terminating pods only
 * when asked for (publishNotReadyAddresses, slices).
 */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Failed' || phase === 'Succeeded') return false;
  const ips = pod.status?.podIPs;
  if (!pod.status?.podIP && !(Array.isArray(ips) && ips.length > 0)) return false;
  return includeTerminating || !pod.metadata.deletionTimestamp;
}

/** The pod's IP of the family (IPv4 or IPv6), from status.podIPs or status.podIP. */
export function podIPOfFamily(pod: Pod, family: string): string | undefined {
  const ips: string[] = Array.isArray(pod.status?.podIPs) ? pod.status.podIPs.map((p: { ip?: string }) => p?.ip ?? '') : [];
  if (pod.status?.podIP) ips.push(pod.status.podIP);
  // The family as upstream's IsIPv6String reads it (ParseIPSloppy: an IPv4-mapped address is IPv4).
  return ips.find((ip) => ip !== '' && (family === 'IPv6') === (parseIPSloppy(ip)?.family === 6));
}

/** The families a Service's endpoints are kept for (spec.ipFamilies; IPv4 when unset). */
export function serviceFamilies(svc: Service): string[] {
  const f = svc.spec?.ipFamilies;
  return Array.isArray(f) && f.length > 0 ? f.filter((x: unknown) => x === 'IPv4' || x === 'IPv6') : ['IPv4'];
}

/**
 * podutil.FindPort: a numeric targetPort as is (the port itself when unset); a named one is the
 * containerPort of that name and the Service port's protocol, or undefined when the pod has none.
 */
export function findPort(pod: Pod, svcPort: Record<string, any>): number | undefined {
  const target = svcPort.targetPort ?? svcPort.port;
  if (typeof target === 'number') return target;
  if (typeof target === 'string' && /^\d+$/.test(target)) return Number(target);
  const protocol = svcPort.protocol ?? 'TCP';
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    for (const p of c?.ports ?? []) {
      if (p?.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
    }
  }
  return undefined;
}

/** The hostname a pod's address carries: spec.hostname when its subdomain is this Service. */
export function podHostname(pod: Pod, svc: Service): string | undefined {
  const h = pod.spec?.hostname;
  return h && pod.spec?.subdomain === svc.metadata.name && pod.metadata.namespace === svc.metadata.namespace ? h : undefined;
}

/** The keys of the Services in the pod's namespace whose selector matches its labels. */
export function servicesSelecting(services: Informer<Service>, pod: Pod): Service[] {
  return services.byIndex('namespace', pod.metadata.namespace ?? '').filter((s) => serviceSelector(s)?.matches(pod.metadata.labels) === true);
}
