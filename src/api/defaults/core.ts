/**
 * Defaults for the core/v1 kinds other than Pod (pkg/apis/core/v1/defaults.go), plus the few
 * create-strategy fills a client sees in the same response (namespace finalizers, secret
 * stringData merge, service clusterIP/clusterIPs). Cluster IP allocation is not done here.
 */
import type {
  Endpoints,
  LimitRange,
  Namespace,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  Secret,
  Service,
} from 'kubernetes-types/core/v1.js';
import { zeroConditionTimes } from './condition-times.ts';

export function defaultService(svc: Service): void {
  const spec = (svc.spec ??= {});
  spec.sessionAffinity ||= 'None';
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP' && spec.sessionAffinityConfig?.clientIP?.timeoutSeconds === undefined) {
    spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
  }
  spec.type ||= 'ClusterIP';
  for (const p of spec.ports ?? []) {
    p.protocol ||= 'TCP';
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  const external = spec.type === 'LoadBalancer' || spec.type === 'NodePort' || (spec.type === 'ClusterIP' && (spec.externalIPs?.length ?? 0) > 0);
  if (external && !spec.externalTrafficPolicy) spec.externalTrafficPolicy = 'Cluster';
  if (spec.internalTrafficPolicy === undefined && ['NodePort', 'LoadBalancer', 'ClusterIP'].includes(spec.type)) {
    spec.internalTrafficPolicy = 'Cluster';
  }
  if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
  // LoadBalancerIPMode (on in 1.33): a load-balancer ingress with an IP and no ipMode is a VIP.
  if (spec.type === 'LoadBalancer') {
    for (const ing of svc.status?.loadBalancer?.ingress ?? []) if (ing.ip && ing.ipMode == null) ing.ipMode = 'VIP';
  }
  // Strategy normalisation: clusterIP and clusterIPs[0] are kept in step.
  if (spec.clusterIP && !spec.clusterIPs?.length) spec.clusterIPs = [spec.clusterIP];
  if (!spec.clusterIP && spec.clusterIPs?.length) spec.clusterIP = spec.clusterIPs[0];
  // ipFamilyPolicy and ipFamilies are not defaults upstream: the allocator's initIPFamilyFields
  // fills them on create and update (src/server/rest/service-ip-families.ts).
}

export function defaultEndpoints(ep: Endpoints): void {
  for (const ss of ep.subsets ?? []) for (const p of ss.ports ?? []) p.protocol ||= 'TCP';
}

export function defaultNamespace(ns: Namespace): void {
  const name = ns.metadata?.name;
  // Lets namespace selectors match a namespace by name; always overwritten, never user-controlled.
  if (name) {
    ns.metadata ??= {};
    ns.metadata.labels = { ...(ns.metadata.labels ?? {}), 'kubernetes.io/metadata.name': name };
  }
  ns.spec ??= {};
  // Upstream adds it on create (PrepareForCreate); a terminating namespace finalized through
  // namespaces/finalize must not get it back, or it never goes away.
  if (!ns.spec.finalizers?.length && !ns.metadata?.deletionTimestamp) ns.spec.finalizers = ['kubernetes'];
  const w = ns as { status?: { phase?: string } };
  w.status ??= {};
  w.status.phase ||= 'Active';
}

/** stringData is write-only convenience: merged into data (base64) and dropped, as upstream's conversion does. */
export function defaultSecret(secret: Secret): void {
  secret.type ||= 'Opaque';
  if (secret.stringData) {
    secret.data ??= {};
    for (const [k, v] of Object.entries(secret.stringData)) secret.data[k] = Buffer.from(v, 'utf8').toString('base64');
    delete secret.stringData;
  }
}

export function defaultPersistentVolume(pv: PersistentVolume): void {
  pv.spec ??= {};
  pv.spec.persistentVolumeReclaimPolicy ||= 'Retain';
  pv.spec.volumeMode ||= 'Filesystem';
  // kubernetes-types marks status read-only; the server is exactly who may write it.
  const w = pv as { status?: { phase?: string } };
  w.status ??= {};
  w.status.phase ||= 'Pending';
}

export function defaultPersistentVolumeClaim(pvc: PersistentVolumeClaim): void {
  pvc.spec ??= {};
  pvc.spec.volumeMode ||= 'Filesystem';
  const w = pvc as { status?: { phase?: string } };
  w.status ??= {};
  w.status.phase ||= 'Pending';
  zeroConditionTimes(pvc.status?.conditions, ['type', 'status'], ['lastProbeTime', 'lastTransitionTime']);
}

export function defaultLimitRange(lr: LimitRange): void {
  for (const item of lr.spec?.limits ?? []) {
    if (item.type !== 'Container') continue;
    const def = (item.default ??= {});
    const req = (item.defaultRequest ??= {});
    // max → default limit → default request; min → default request.
    for (const [k, v] of Object.entries(item.max ?? {})) if (!(k in def)) def[k] = v;
    for (const [k, v] of Object.entries(def)) if (!(k in req)) req[k] = v;
    for (const [k, v] of Object.entries(item.min ?? {})) if (!(k in req)) req[k] = v;
  }
}

export function defaultNode(node: Node): void {
  const st = node.status as { capacity?: Record<string, string>; allocatable?: Record<string, string> } | undefined;
  if (st?.capacity && !st.allocatable) st.allocatable = { ...st.capacity };
  zeroConditionTimes(node.status?.conditions, ['type', 'status'], ['lastHeartbeatTime', 'lastTransitionTime']);
}
