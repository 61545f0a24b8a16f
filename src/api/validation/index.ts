/**
 * validateObject: one entry point for the built-in kinds, dispatching to the per-kind files.
 * Runs after defaulting. Unknown kinds (custom resources, kinds not covered yet) yield no errors;
 * CRD-backed objects are validated against their schema elsewhere.
 */
import type { FieldError } from './field-errors.ts';
import { validateObjectMetaUpdate } from './meta.ts';
import { validateNamespace, validateNamespaceUpdate } from './core/namespace.ts';
import { validatePod, validatePodUpdate } from './core/pod.ts';
import { validateService, validateServiceUpdate } from './core/service.ts';
import { validateEndpoints } from './core/endpoints.ts';
import { validateConfigMap, validateConfigMapUpdate } from './core/config-map.ts';
import { validateSecret, validateSecretUpdate } from './core/secret.ts';
import { validateServiceAccount } from './core/service-account.ts';
import { validateNode } from './core/node.ts';
import { validateNodeMainUpdate, validateNodeUpdate } from './core/node-status.ts';
import * as core from './core/status.ts';
import { validateEvent } from './core/event.ts';
import { validateResourceQuota } from './core/resource-quota.ts';
import { validateLimitRange } from './core/limit-range.ts';
import {
  validatePersistentVolume,
  validatePersistentVolumeClaim,
  validatePersistentVolumeClaimUpdate,
  validatePersistentVolumeUpdate,
} from './core/persistent-volume.ts';
import {
  validateDaemonSet,
  validateDaemonSetUpdate,
  validateDeployment,
  validateDeploymentUpdate,
  validateReplicaSet,
  validateReplicaSetUpdate,
  validateStatefulSet,
  validateStatefulSetUpdate,
} from './apps/workloads.ts';
import { validateCronJob, validateCronJobUpdate, validateJob, validateJobUpdate } from './batch/job.ts';
import { validateJobStatusUpdate } from './batch/job-status.ts';
import {
  validateDaemonSetStatusUpdate,
  validateDeploymentStatusUpdate,
  validateReplicaSetStatusUpdate,
  validateReplicationControllerStatusUpdate,
  validateStatefulSetStatusUpdate,
} from './apps/status.ts';
import { validateNetworkPolicy, validateNetworkPolicyUpdate } from './networking/network-policy.ts';
import { validateIngress, validateIngressUpdate } from './networking/ingress.ts';
import {
  validateClusterRole,
  validateClusterRoleBinding,
  validateClusterRoleBindingUpdate,
  validateRole,
  validateRoleBinding,
  validateRoleBindingUpdate,
} from './rbac/rbac.ts';
import { validatePodDisruptionBudget } from './policy/pod-disruption-budget.ts';
import { validatePodDisruptionBudgetStatusUpdate } from './policy/pod-disruption-budget-status.ts';
import { validateHorizontalPodAutoscalerStatusUpdate } from './autoscaling/horizontal-pod-autoscaler-status.ts';
import { validateIngressStatusUpdate } from './networking/ingress-status.ts';
import { validateLease } from './coordination/lease.ts';
import {
  validateMutatingWebhookConfiguration,
  validateValidatingWebhookConfiguration,
  validateWebhookConfigurationUpdate,
} from './admissionregistration/webhooks.ts';
import { validateValidatingAdmissionPolicy, validateValidatingAdmissionPolicyBinding } from './admissionregistration/admission-policy.ts';
import { validateMutatingAdmissionPolicy, validateMutatingAdmissionPolicyBinding } from './admissionregistration/mutating-admission-policy.ts';
import { validateCertificateSigningRequest, validateCertificateSigningRequestUpdate } from './certificates/csr.ts';
import { validateCustomResourceDefinition, validateCustomResourceDefinitionUpdate } from './apiextensions/crd.ts';
import { validatePodTemplate, validatePodTemplateUpdate, validateReplicationController, validateReplicationControllerUpdate } from './core/replication-controller.ts';
import { validateControllerRevision, validateControllerRevisionUpdate } from './apps/controller-revision.ts';
import { validateHorizontalPodAutoscaler, validateHorizontalPodAutoscalerUpdate } from './autoscaling/horizontal-pod-autoscaler.ts';
import { validateEndpointSlice, validateEndpointSliceUpdate } from './discovery/endpoint-slice.ts';
import { validateIngressClass, validateIngressClassUpdate } from './networking/ingress-class.ts';
import { validateIPAddress, validateIPAddressUpdate, validateServiceCIDR, validateServiceCIDRUpdate } from './networking/service-cidr.ts';
import { validateRuntimeClass, validateRuntimeClassUpdate } from './node/runtime-class.ts';
import { validatePriorityClass, validatePriorityClassUpdate } from './scheduling/priority-class.ts';
import { validateStorageClass, validateStorageClassUpdate } from './storage/storage-class.ts';
import * as csi from './storage/csi.ts';
import * as apf from './flowcontrol/flowcontrol.ts';
import { validateFlowControlStatusUpdate } from './flowcontrol/status.ts';
import { validateAPIServiceStatusUpdate } from './apiregistration/apiservice-status.ts';
import { validateValidatingAdmissionPolicyStatusUpdate } from './admissionregistration/validating-admission-policy-status.ts';
import { validateAPIService, validateAPIServiceUpdate } from './apiregistration/apiservice.ts';
import { validateEventsV1Event, validateEventsV1EventUpdate } from './events/event.ts';

export interface GVK {
  group: string;
  version: string;
  kind: string;
}

/** Decoded objects are plain JSON; each validator narrows to its kubernetes-types shape. */
type AnyObj = any;

interface KindValidator {
  create(obj: AnyObj): FieldError[];
  /** `subresource`: the write's subresource ("status", "approval"...), "" for the object itself. */
  update?(obj: AnyObj, old: AnyObj, subresource: string): FieldError[];
}

const v = (create: (o: AnyObj) => FieldError[], update?: (o: AnyObj, old: AnyObj, subresource: string) => FieldError[]): KindValidator =>
  update ? { create, update } : { create };

type UpdateFn = (o: AnyObj, old: AnyObj) => FieldError[];

/**
 * Kinds with a status strategy of their own: a status write (whose spec is the stored one) gets
 * the status rules, not the spec rules again, so a rule added after an object was stored cannot
 * lock its controller out of reporting status.
 */
const withStatus = (main: UpdateFn, status: UpdateFn) => (o: AnyObj, old: AnyObj, subresource: string) =>
  subresource === 'status' ? status(o, old) : main(o, old);

/** Kinds without update rules of their own: ObjectMeta update rules plus the create rules outside metadata. */
const createAsUpdate =
  (create: (o: AnyObj) => FieldError[]): UpdateFn =>
  (o, old) => {
    const errs = validateObjectMetaUpdate(o?.metadata, old?.metadata);
    errs.push(...create(o).filter((e) => !e.field.startsWith('metadata.')));
    return errs;
  };

/** CronJob's status strategy validates nothing upstream (ServiceCIDR's only ObjectMeta); the metadata rules are kept. */
const metaOnly: UpdateFn = (o, old) => validateObjectMetaUpdate(o?.metadata, old?.metadata);

const VALIDATORS: Record<string, KindValidator> = {
  '/Namespace': v(validateNamespace, withStatus(validateNamespaceUpdate, core.validateNamespaceStatusUpdate)),
  '/Pod': v(validatePod, validatePodUpdate),
  '/Service': v(validateService, withStatus(validateServiceUpdate, core.validateServiceStatusUpdate)),
  '/Endpoints': v(validateEndpoints),
  '/ConfigMap': v(validateConfigMap, validateConfigMapUpdate),
  '/Secret': v(validateSecret, validateSecretUpdate),
  '/ServiceAccount': v(validateServiceAccount),
  '/Node': v(validateNode, withStatus(validateNodeMainUpdate, validateNodeUpdate)),
  '/Event': v(validateEvent),
  '/ResourceQuota': v(validateResourceQuota, withStatus(createAsUpdate(validateResourceQuota), core.validateResourceQuotaStatusUpdate)),
  '/LimitRange': v(validateLimitRange),
  '/PersistentVolume': v(validatePersistentVolume, withStatus(validatePersistentVolumeUpdate, core.validatePersistentVolumeStatusUpdate)),
  '/PersistentVolumeClaim': v(validatePersistentVolumeClaim, withStatus(validatePersistentVolumeClaimUpdate, core.validatePersistentVolumeClaimStatusUpdate)),
  'apps/Deployment': v(validateDeployment, withStatus(validateDeploymentUpdate, validateDeploymentStatusUpdate)),
  'apps/ReplicaSet': v(validateReplicaSet, withStatus(validateReplicaSetUpdate, validateReplicaSetStatusUpdate)),
  'apps/StatefulSet': v(validateStatefulSet, withStatus(validateStatefulSetUpdate, validateStatefulSetStatusUpdate)),
  'apps/DaemonSet': v(validateDaemonSet, withStatus(validateDaemonSetUpdate, validateDaemonSetStatusUpdate)),
  'batch/Job': v(validateJob, withStatus(validateJobUpdate, validateJobStatusUpdate)),
  'batch/CronJob': v((o) => validateCronJob(o), withStatus(validateCronJobUpdate, metaOnly)),
  'networking.k8s.io/NetworkPolicy': v(validateNetworkPolicy, validateNetworkPolicyUpdate),
  'networking.k8s.io/Ingress': v(validateIngress, withStatus(validateIngressUpdate, validateIngressStatusUpdate)),
  'rbac.authorization.k8s.io/Role': v(validateRole),
  'rbac.authorization.k8s.io/ClusterRole': v(validateClusterRole),
  'rbac.authorization.k8s.io/RoleBinding': v(validateRoleBinding, validateRoleBindingUpdate),
  'rbac.authorization.k8s.io/ClusterRoleBinding': v(validateClusterRoleBinding, validateClusterRoleBindingUpdate),
  'policy/PodDisruptionBudget': v(validatePodDisruptionBudget, withStatus(createAsUpdate(validatePodDisruptionBudget), validatePodDisruptionBudgetStatusUpdate)),
  'coordination.k8s.io/Lease': v(validateLease),
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': v(validateValidatingWebhookConfiguration, (o, old) =>
    validateWebhookConfigurationUpdate(o, old, false),
  ),
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': v(validateMutatingWebhookConfiguration, (o, old) =>
    validateWebhookConfigurationUpdate(o, old, true),
  ),
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy': v(
    validateValidatingAdmissionPolicy,
    withStatus(createAsUpdate(validateValidatingAdmissionPolicy), validateValidatingAdmissionPolicyStatusUpdate),
  ),
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding': v(validateValidatingAdmissionPolicyBinding),
  'admissionregistration.k8s.io/MutatingAdmissionPolicy': v(validateMutatingAdmissionPolicy),
  'admissionregistration.k8s.io/MutatingAdmissionPolicyBinding': v(validateMutatingAdmissionPolicyBinding),
  'certificates.k8s.io/CertificateSigningRequest': v(validateCertificateSigningRequest, validateCertificateSigningRequestUpdate),
  'apiextensions.k8s.io/CustomResourceDefinition': v(validateCustomResourceDefinition, validateCustomResourceDefinitionUpdate),
  '/ReplicationController': v(validateReplicationController, withStatus(validateReplicationControllerUpdate, validateReplicationControllerStatusUpdate)),
  '/PodTemplate': v(validatePodTemplate, validatePodTemplateUpdate),
  'apps/ControllerRevision': v(validateControllerRevision, validateControllerRevisionUpdate),
  'autoscaling/HorizontalPodAutoscaler': v(validateHorizontalPodAutoscaler, withStatus(validateHorizontalPodAutoscalerUpdate, validateHorizontalPodAutoscalerStatusUpdate)),
  'discovery.k8s.io/EndpointSlice': v(validateEndpointSlice, validateEndpointSliceUpdate),
  'networking.k8s.io/IngressClass': v(validateIngressClass, validateIngressClassUpdate),
  // ValidateServiceCIDRStatusUpdate is the ObjectMeta update rules only.
  'networking.k8s.io/ServiceCIDR': v(validateServiceCIDR, withStatus(validateServiceCIDRUpdate, metaOnly)),
  'networking.k8s.io/IPAddress': v(validateIPAddress, validateIPAddressUpdate),
  'node.k8s.io/RuntimeClass': v(validateRuntimeClass, validateRuntimeClassUpdate),
  'scheduling.k8s.io/PriorityClass': v(validatePriorityClass, validatePriorityClassUpdate),
  'storage.k8s.io/StorageClass': v(validateStorageClass, validateStorageClassUpdate),
  'storage.k8s.io/CSIDriver': v(csi.validateCSIDriver, csi.validateCSIDriverUpdate),
  'storage.k8s.io/CSINode': v(csi.validateCSINode, csi.validateCSINodeUpdate),
  'storage.k8s.io/VolumeAttachment': v(csi.validateVolumeAttachment, csi.validateVolumeAttachmentUpdate),
  'storage.k8s.io/CSIStorageCapacity': v(csi.validateCSIStorageCapacity, csi.validateCSIStorageCapacityUpdate),
  'flowcontrol.apiserver.k8s.io/FlowSchema': v(apf.validateFlowSchema, withStatus(apf.validateFlowSchemaUpdate, validateFlowControlStatusUpdate)),
  'flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration': v(
    apf.validatePriorityLevelConfiguration,
    withStatus(apf.validatePriorityLevelConfigurationUpdate, validateFlowControlStatusUpdate),
  ),
  'apiregistration.k8s.io/APIService': v(validateAPIService, withStatus(validateAPIServiceUpdate, validateAPIServiceStatusUpdate)),
  'events.k8s.io/Event': v(validateEventsV1Event, validateEventsV1EventUpdate),
};

export function hasValidator(gvk: GVK): boolean {
  return `${gvk.group}/${gvk.kind}` in VALIDATORS;
}

/**
 * Validates a create (no `old`) or an update. Updates without a dedicated rule set get the
 * ObjectMeta update rules plus the create rules for everything outside metadata.
 */
export function validateObject(gvk: GVK, obj: unknown, old?: unknown, subresource = ''): FieldError[] {
  const kv = VALIDATORS[`${gvk.group}/${gvk.kind}`];
  if (!kv) return [];
  if (old === undefined) return kv.create(obj);
  if (kv.update) return kv.update(obj, old, subresource);
  return createAsUpdate(kv.create)(obj, old);
}
