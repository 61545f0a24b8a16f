/**
 * Defaulting of the kinds added for Kubernetes 1.33's default API set, as upstream's
 * SetDefaults_* functions (zz_generated.defaults + defaults.go of each group/version).
 */
import { defaultPodTemplateSpec } from './pod.ts';

type Obj = Record<string, any>;

/** core/v1 SetDefaults_ReplicationController: selector and labels from the template, one replica. */
export function defaultReplicationController(o: Obj): void {
  o.spec ??= {};
  const labels = o.spec.template?.metadata?.labels;
  if (labels && Object.keys(labels).length > 0) {
    if (!o.spec.selector || Object.keys(o.spec.selector).length === 0) o.spec.selector = { ...labels };
    o.metadata ??= {};
    if (!o.metadata.labels || Object.keys(o.metadata.labels).length === 0) o.metadata.labels = { ...labels };
  }
  o.spec.replicas ??= 1;
  if (o.spec.template) defaultPodTemplateSpec(o.spec.template);
}

export function defaultPriorityClass(o: Obj): void {
  o.preemptionPolicy ??= 'PreemptLowerPriority';
}

export function defaultStorageClass(o: Obj): void {
  o.reclaimPolicy ??= 'Delete';
  o.volumeBindingMode ??= 'Immediate';
}

export function defaultCSIDriver(o: Obj): void {
  o.spec ??= {};
  const s = o.spec;
  s.attachRequired ??= true;
  s.podInfoOnMount ??= false;
  s.storageCapacity ??= false;
  s.fsGroupPolicy ??= 'ReadWriteOnceWithFSType';
  s.requiresRepublish ??= false;
  if (!Array.isArray(s.volumeLifecycleModes) || s.volumeLifecycleModes.length === 0) s.volumeLifecycleModes = ['Persistent'];
  // SELinuxMountReadWriteOncePod is on by default in 1.33.
  s.seLinuxMount ??= false;
}

export function defaultEndpointSlice(o: Obj): void {
  for (const p of Array.isArray(o.ports) ? o.ports : []) {
    if (p && typeof p === 'object') {
      p.name ??= '';
      p.protocol ??= 'TCP';
    }
  }
}


export function defaultFlowSchema(o: Obj): void {
  o.spec ??= {};
  o.spec.matchingPrecedence ??= 1000;
}

/** flowcontrol/v1 SetDefaults_PriorityLevelConfiguration and its nested defaulters. */
export function defaultPriorityLevelConfiguration(o: Obj): void {
  const s = (o.spec ??= {});
  if (s.limited) {
    const l = s.limited;
    l.nominalConcurrencyShares ??= 30;
    l.lendablePercent ??= 0;
    l.limitResponse ??= {};
    const q = l.limitResponse.queuing;
    if (q) {
      q.handSize ??= 8;
      q.queues ??= 64;
      q.queueLengthLimit ??= 50;
    }
  }
  if (s.exempt) {
    s.exempt.nominalConcurrencyShares ??= 0;
    s.exempt.lendablePercent ??= 0;
  } else if (s.type === 'Exempt') {
    s.exempt = { nominalConcurrencyShares: 0, lendablePercent: 0 };
  }
}

export function defaultAPIService(o: Obj): void {
  if (o.spec?.service) o.spec.service.port ??= 443;
}

/** autoscaling/v2 SetDefaults_HorizontalPodAutoscaler (and its behavior defaults). */
export function defaultHorizontalPodAutoscalerV2(o: Obj): void {
  const s = (o.spec ??= {});
  s.minReplicas ??= 1;
  if (!Array.isArray(s.metrics) || s.metrics.length === 0) {
    s.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];
  }
  if (s.behavior) {
    s.behavior.scaleUp = defaultScalingRules(s.behavior.scaleUp, {
      stabilizationWindowSeconds: 0,
      selectPolicy: 'Max',
      policies: [
        { type: 'Pods', value: 4, periodSeconds: 15 },
        { type: 'Percent', value: 100, periodSeconds: 15 },
      ],
    });
    s.behavior.scaleDown = defaultScalingRules(s.behavior.scaleDown, {
      stabilizationWindowSeconds: 300,
      selectPolicy: 'Max',
      policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
    });
  }
}

/** autoscaling/v1 SetDefaults_HorizontalPodAutoscaler. */
export function defaultHorizontalPodAutoscalerV1(o: Obj): void {
  o.spec ??= {};
  o.spec.minReplicas ??= 1;
}

interface Rules {
  stabilizationWindowSeconds: number;
  selectPolicy: string;
  policies: Obj[];
}

function defaultScalingRules(rules: Obj | undefined, dflt: Rules): Obj {
  if (!rules) return structuredClone(dflt);
  const out = { ...rules };
  out.stabilizationWindowSeconds ??= dflt.stabilizationWindowSeconds;
  out.selectPolicy ??= dflt.selectPolicy;
  if (!Array.isArray(out.policies) || out.policies.length === 0) out.policies = structuredClone(dflt.policies);
  return out;
}
