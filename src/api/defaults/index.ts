/**
 * applyDefaults: fills in what upstream's defaulters (and a few create strategies) fill in, so
 * clients read back the same object kube-apiserver would return. Mutates `obj`. Runs before
 * validation. Unknown kinds are left untouched.
 */
import { defaultPod, defaultPodTemplateSpec } from './pod.ts';
import {
  defaultEndpoints,
  defaultLimitRange,
  defaultNamespace,
  defaultNode,
  defaultPersistentVolume,
  defaultPersistentVolumeClaim,
  defaultSecret,
  defaultService,
} from './core.ts';
import {
  defaultCronJob,
  defaultDaemonSet,
  defaultDeployment,
  defaultJob,
  defaultReplicaSet,
  defaultStatefulSet,
  generateJobSelector,
} from './workloads.ts';
import {
  defaultCustomResourceDefinition,
  defaultMutatingWebhookConfiguration,
  defaultNetworkPolicy,
  defaultRoleBinding,
  defaultValidatingAdmissionPolicy,
  defaultValidatingAdmissionPolicyBinding,
  defaultValidatingWebhookConfiguration,
} from './extensions.ts';
import * as d133 from './k8s-133.ts';

export interface GVK {
  group: string;
  version: string;
  kind: string;
}

// Decoded JSON; each defaulter narrows to its kubernetes-types shape.
type AnyObj = any;

const DEFAULTERS: Record<string, (o: AnyObj) => void> = {
  '/Pod': defaultPod,
  '/PodTemplate': (o) => defaultPodTemplateSpec(o.template),
  '/ReplicationController': d133.defaultReplicationController,
  '/Service': defaultService,
  '/Endpoints': defaultEndpoints,
  '/Namespace': defaultNamespace,
  '/Secret': defaultSecret,
  '/PersistentVolume': defaultPersistentVolume,
  '/PersistentVolumeClaim': defaultPersistentVolumeClaim,
  '/LimitRange': defaultLimitRange,
  '/Node': defaultNode,
  'apps/Deployment': defaultDeployment,
  'apps/ReplicaSet': defaultReplicaSet,
  'apps/StatefulSet': defaultStatefulSet,
  'apps/DaemonSet': defaultDaemonSet,
  'batch/Job': (o) => {
    defaultJob(o);
    generateJobSelector(o);
  },
  'batch/CronJob': defaultCronJob,
  'networking.k8s.io/NetworkPolicy': defaultNetworkPolicy,
  'rbac.authorization.k8s.io/RoleBinding': defaultRoleBinding,
  'rbac.authorization.k8s.io/ClusterRoleBinding': defaultRoleBinding,
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': defaultValidatingWebhookConfiguration,
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': defaultMutatingWebhookConfiguration,
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy': defaultValidatingAdmissionPolicy,
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding': defaultValidatingAdmissionPolicyBinding,
  // Same defaults upstream's v1beta1 gives a MutatingAdmissionPolicy: failurePolicy Fail, matchResources'.
  'admissionregistration.k8s.io/MutatingAdmissionPolicy': defaultValidatingAdmissionPolicy,
  'admissionregistration.k8s.io/MutatingAdmissionPolicyBinding': defaultValidatingAdmissionPolicyBinding,
  'apiextensions.k8s.io/CustomResourceDefinition': defaultCustomResourceDefinition,
  'scheduling.k8s.io/PriorityClass': d133.defaultPriorityClass,
  'storage.k8s.io/StorageClass': d133.defaultStorageClass,
  'storage.k8s.io/CSIDriver': d133.defaultCSIDriver,
  'discovery.k8s.io/EndpointSlice': d133.defaultEndpointSlice,
  'flowcontrol.apiserver.k8s.io/FlowSchema': d133.defaultFlowSchema,
  'flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration': d133.defaultPriorityLevelConfiguration,
  'apiregistration.k8s.io/APIService': d133.defaultAPIService,
  'autoscaling/HorizontalPodAutoscaler': (o) => (o.apiVersion === 'autoscaling/v1' ? d133.defaultHorizontalPodAutoscalerV1(o) : d133.defaultHorizontalPodAutoscalerV2(o)),
};

export function applyDefaults(gvk: GVK, obj: unknown): void {
  if (obj === null || typeof obj !== 'object') return;
  DEFAULTERS[`${gvk.group}/${gvk.kind}`]?.(obj);
}

export { generateJobSelector };
