import { isNodePortType, needsHealthCheck, nodePortsOf } from './service-node-ports.ts';
import { sameList } from './service-ip-families.ts';
import type { K8sObject } from './objects.ts';

/**
 * Upstream's Service strategy (dropTypeDependentFields): a Service is a union discriminated by
 * `type`; an update that moves it to a type where a field no longer applies, without also changing
 * that field, has the field cleared, so `kubectl patch -p '{"spec":{"type":"ClusterIP"}}'` on a
 * NodePort Service works (its nodePorts and externalTrafficPolicy go, and the ports are freed).
 * A field the user changed too is left for validation to refuse: `kubectl patch` to ExternalName
 * drops clusterIP, clusterIPs, ipFamilies and ipFamilyPolicy the same way.
 */
export function dropTypeDependentFields(before: K8sObject, after: K8sObject): void {
  const old = before.spec ?? {};
  const spec = after.spec;
  if (!spec) return;
  // Made ExternalName: the address fields go unless the update changed them (the address is given back once stored).
  if (old.type !== 'ExternalName' && spec.type === 'ExternalName') {
    if ((old.clusterIP ?? '') === (spec.clusterIP ?? '') && sameList(old.clusterIPs, spec.clusterIPs)) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    // reflect.DeepEqual: an absent list and an empty one differ.
    if (old.ipFamilies === spec.ipFamilies || (Array.isArray(old.ipFamilies) && Array.isArray(spec.ipFamilies) && sameList(old.ipFamilies, spec.ipFamilies))) delete spec.ipFamilies;
    if ((old.ipFamilyPolicy ?? '') === (spec.ipFamilyPolicy ?? '')) delete spec.ipFamilyPolicy;
  }
  if (isNodePortType(before) && !isNodePortType(after)) {
    // Ports may be added, removed or changed as long as no net-new nodePort appears.
    const had = new Set(nodePortsOf(before));
    if (nodePortsOf(after).every((p) => had.has(p))) for (const p of spec.ports ?? []) delete p.nodePort;
  }
  if (needsHealthCheck(before) && !needsHealthCheck(after) && old.healthCheckNodePort === spec.healthCheckNodePort) delete spec.healthCheckNodePort;
  if (old.type === 'LoadBalancer' && spec.type !== 'LoadBalancer') {
    if (old.allocateLoadBalancerNodePorts !== undefined && old.allocateLoadBalancerNodePorts === spec.allocateLoadBalancerNodePorts) delete spec.allocateLoadBalancerNodePorts;
    if (old.loadBalancerClass === spec.loadBalancerClass) delete spec.loadBalancerClass;
  }
  if (isNodePortType(before) && !isNodePortType(after) && old.externalTrafficPolicy === spec.externalTrafficPolicy) delete spec.externalTrafficPolicy;
  // A load balancer's status is gone with the type (de-provisioning is not the user's concern).
  if (spec.type !== 'LoadBalancer' && after.status?.loadBalancer) after.status.loadBalancer = {};
}
