import type { Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { sameList } from './service-ip-families.ts';

/**
 * The first steps of upstream's Service beginUpdate (pkg/registry/core/service/storage/storage.go,
 * kubernetes 1.33): patchAllocatedValues, then normalizeClusterIPs. Both mutate `next` (the
 * update's new object, after mutating admission, before defaulting and validation) from `old`
 * (the stored Service), on every update of the main resource (PUT, patch, apply; dry runs too).
 * A client can resubmit the manifest it created a Service from (`kubectl replace -f svc.yaml`)
 * without the ClusterIP and node ports the server allocated for it.
 */
export function patchServiceUpdate(next: Service, old: Service): void {
  patchAllocatedValues(next, old);
  normalizeClusterIPs(next, old);
}

const needsClusterIP = (svc: Service): boolean => svc.spec?.type !== 'ExternalName';
const needsNodePort = (svc: Service): boolean => svc.spec?.type === 'NodePort' || svc.spec?.type === 'LoadBalancer';
const needsHCNodePort = (svc: Service): boolean => svc.spec?.type === 'LoadBalancer' && svc.spec.externalTrafficPolicy === 'Local';

const portsOf = (svc: Service): ServicePort[] => (Array.isArray(svc.spec?.ports) ? svc.spec.ports : []);
const nodePortOf = (p: ServicePort): number => Number(p.nodePort) || 0;

/** Upstream's nodePortsUsed: the set of nonzero nodePorts. */
function nodePortsUsed(svc: Service): Set<number> {
  const used = new Set<number>();
  for (const p of portsOf(svc)) if (nodePortOf(p) !== 0) used.add(nodePortOf(p));
  return used;
}

/**
 * Values the server allocated that the new object leaves empty are taken from the old one: the
 * ClusterIP and ClusterIPs (both need one), each port's nodePort by port name unless another port
 * of both objects uses that node port (both NodePort or LoadBalancer), the healthCheckNodePort
 * (both LoadBalancer with externalTrafficPolicy Local).
 */
function patchAllocatedValues(next: Service, old: Service): void {
  const spec = next.spec;
  const was = old.spec;
  if (!spec || !was) return;
  if (needsClusterIP(old) && needsClusterIP(next)) {
    if (!spec.clusterIP && was.clusterIP) spec.clusterIP = was.clusterIP;
    if (!spec.clusterIPs?.length && (was.clusterIPs?.length ?? 0) > 0) spec.clusterIPs = [...was.clusterIPs!];
  }
  if (needsNodePort(old) && needsNodePort(next)) {
    const inNew = nodePortsUsed(next);
    const used = new Set([...nodePortsUsed(old)].filter((p) => inNew.has(p)));
    // By name: the user may have changed other properties of the port. The last of a repeated name wins.
    const byName = new Map<string, number>();
    for (const p of portsOf(old)) byName.set(p.name ?? '', nodePortOf(p));
    for (const p of portsOf(next)) {
      if (nodePortOf(p) !== 0) continue;
      const oldVal = byName.get(p.name ?? '') ?? 0;
      if (oldVal !== 0 && !used.has(oldVal)) p.nodePort = oldVal;
    }
  }
  if (needsHCNodePort(old) && needsHCNodePort(next) && !(Number(spec.healthCheckNodePort) || 0) && was.healthCheckNodePort) {
    spec.healthCheckNodePort = was.healthCheckNodePort;
  }
}

function sameClusterIPs(a: Service, b: Service): boolean {
  return sameList(a.spec?.clusterIPs, b.spec?.clusterIPs);
}

/**
 * Upstream's normalizeClusterIPs on update: clusterIPs left out by a client that kept clusterIP
 * are the old ones; a clusterIP cleared with clusterIPs unchanged clears clusterIPs; a clusterIP
 * changed with clusterIPs unchanged makes clusterIPs [clusterIP] (validation then refuses the change
 * on spec.clusterIPs).
 */
function normalizeClusterIPs(next: Service, old: Service): void {
  const spec = next.spec;
  const was = old.spec;
  if (!spec || !was) return;
  const oldIP = was.clusterIP ?? '';
  const newIP = spec.clusterIP ?? '';
  if ((was.clusterIPs?.length ?? 0) > 0 && !spec.clusterIPs?.length && oldIP === newIP) spec.clusterIPs = [...was.clusterIPs!];
  if (oldIP === newIP) return;
  if (oldIP !== '' && newIP === '') {
    if (sameClusterIPs(old, next)) delete spec.clusterIPs;
  } else if (sameClusterIPs(old, next)) {
    spec.clusterIPs = [newIP];
  }
}
