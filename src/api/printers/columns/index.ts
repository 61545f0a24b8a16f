/**
 * The printer of each built-in kind, by group and kind. Kinds upstream registers no printer for
 * (roles, cluster roles, limit ranges, CRDs, ...) get the default: Name and Created At.
 */
import { doc } from '../field-docs.ts';
import { obj, str } from '../format.ts';
import { column } from '../types.ts';
import type { Printer } from '../types.ts';
import { daemonSetPrinter, deploymentPrinter, replicaSetPrinter, statefulSetPrinter } from './apps.ts';
import { cronJobPrinter, jobPrinter } from './batch.ts';
import {
  configMapPrinter,
  endpointsPrinter,
  namespacePrinter,
  nodePrinter,
  persistentVolumeClaimPrinter,
  persistentVolumePrinter,
  resourceQuotaPrinter,
  secretPrinter,
  serviceAccountPrinter,
  servicePrinter,
} from './core.ts';
import { eventPrinter } from './event.ts';
import { eventV1ToCore } from '../../conversion/events.ts';
import { NAME } from './meta.ts';
import {
  certificateSigningRequestPrinter,
  clusterRoleBindingPrinter,
  ingressPrinter,
  leasePrinter,
  networkPolicyPrinter,
  podDisruptionBudgetPrinter,
  roleBindingPrinter,
  validatingAdmissionPolicyBindingPrinter,
  validatingAdmissionPolicyPrinter,
  webhookConfigurationPrinter,
} from './other.ts';
import { podPrinter } from './pod.ts';
import { horizontalPodAutoscalerPrinter } from './autoscaling.ts';
import { flowSchemaPrinter, priorityLevelConfigurationPrinter } from './flowcontrol.ts';
import {
  apiServicePrinter,
  componentStatusPrinter,
  controllerRevisionPrinter,
  endpointSlicePrinter,
  ingressClassPrinter,
  ipAddressPrinter,
  podTemplatePrinter,
  priorityClassPrinter,
  replicationControllerPrinter,
  runtimeClassPrinter,
  serviceCidrPrinter,
} from './platform.ts';
import { csiDriverPrinter, csiNodePrinter, csiStorageCapacityPrinter, storageClassPrinter, volumeAttachmentPrinter } from './storage.ts';

const PRINTERS: Record<string, Printer> = {
  '/Pod': podPrinter,
  '/Namespace': namespacePrinter,
  '/Service': servicePrinter,
  '/Endpoints': endpointsPrinter,
  '/ConfigMap': configMapPrinter,
  '/Secret': secretPrinter,
  '/ServiceAccount': serviceAccountPrinter,
  '/Node': nodePrinter,
  '/Event': eventPrinter,
  '/ResourceQuota': resourceQuotaPrinter,
  '/PersistentVolume': persistentVolumePrinter,
  '/PersistentVolumeClaim': persistentVolumeClaimPrinter,
  'apps/Deployment': deploymentPrinter,
  'apps/ReplicaSet': replicaSetPrinter,
  'apps/StatefulSet': statefulSetPrinter,
  'apps/DaemonSet': daemonSetPrinter,
  'batch/Job': jobPrinter,
  'batch/CronJob': cronJobPrinter,
  'networking.k8s.io/NetworkPolicy': networkPolicyPrinter,
  'networking.k8s.io/Ingress': ingressPrinter,
  'rbac.authorization.k8s.io/RoleBinding': roleBindingPrinter,
  'rbac.authorization.k8s.io/ClusterRoleBinding': clusterRoleBindingPrinter,
  'policy/PodDisruptionBudget': podDisruptionBudgetPrinter,
  'coordination.k8s.io/Lease': leasePrinter,
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy': validatingAdmissionPolicyPrinter,
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding': validatingAdmissionPolicyBindingPrinter,
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': webhookConfigurationPrinter,
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': webhookConfigurationPrinter,
  'certificates.k8s.io/CertificateSigningRequest': certificateSigningRequestPrinter,
  '/ReplicationController': replicationControllerPrinter,
  '/PodTemplate': podTemplatePrinter,
  '/ComponentStatus': componentStatusPrinter,
  'apps/ControllerRevision': controllerRevisionPrinter,
  'autoscaling/HorizontalPodAutoscaler': horizontalPodAutoscalerPrinter,
  'discovery.k8s.io/EndpointSlice': endpointSlicePrinter,
  'networking.k8s.io/IngressClass': ingressClassPrinter,
  'networking.k8s.io/ServiceCIDR': serviceCidrPrinter,
  'networking.k8s.io/IPAddress': ipAddressPrinter,
  'node.k8s.io/RuntimeClass': runtimeClassPrinter,
  'scheduling.k8s.io/PriorityClass': priorityClassPrinter,
  'storage.k8s.io/StorageClass': storageClassPrinter,
  'storage.k8s.io/CSIDriver': csiDriverPrinter,
  'storage.k8s.io/CSINode': csiNodePrinter,
  'storage.k8s.io/VolumeAttachment': volumeAttachmentPrinter,
  'storage.k8s.io/CSIStorageCapacity': csiStorageCapacityPrinter,
  'flowcontrol.apiserver.k8s.io/FlowSchema': flowSchemaPrinter,
  'flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration': priorityLevelConfigurationPrinter,
  'apiregistration.k8s.io/APIService': apiServicePrinter,
  // Upstream prints events.k8s.io Events with the core printer (both are the internal Event).
  'events.k8s.io/Event': { columns: eventPrinter.columns, cells: (o, now) => eventPrinter.cells(eventV1ToCore(o), now) },
};

/** Go's Time.UTC().Format(time.RFC3339): whole seconds, "Z". */
function rfc3339(v: unknown): string {
  const t = typeof v === 'string' ? Date.parse(v) : NaN;
  // The zero time formats as Go's zero time does.
  if (Number.isNaN(t)) return '0001-01-01T00:00:00Z';
  return new Date(Math.floor(t / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** The apiserver's default table convertor (registry/rest/table.go). */
export const defaultPrinter: Printer = {
  columns: [NAME, column('Created At', 'date', doc('meta/v1:ObjectMeta.creationTimestamp'))],
  cells: (o) => [str(obj(o.metadata).name), rfc3339(obj(o.metadata).creationTimestamp)],
};

/** The printer upstream uses for a built-in kind; the default one for kinds without their own. */
export function builtinPrinter(group: string, kind: string): Printer {
  return PRINTERS[`${group}/${kind}`] ?? defaultPrinter;
}

/** Whether a built-in kind has its own printer (and not the default one). */
export function hasOwnPrinter(group: string, kind: string): boolean {
  return Object.hasOwn(PRINTERS, `${group}/${kind}`);
}
