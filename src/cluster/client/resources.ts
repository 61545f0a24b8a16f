/** The resources in-cluster components address, as ResourceRefs (group, version, plural, kind, scope). */
import type { ResourceRef } from './types.ts';

function ref(group: string, version: string, resource: string, kind: string, namespaced: boolean): ResourceRef {
  return Object.freeze({ group, version, resource, kind, namespaced });
}

export const resources = Object.freeze({
  pods: ref('', 'v1', 'pods', 'Pod', true),
  nodes: ref('', 'v1', 'nodes', 'Node', false),
  namespaces: ref('', 'v1', 'namespaces', 'Namespace', false),
  services: ref('', 'v1', 'services', 'Service', true),
  endpoints: ref('', 'v1', 'endpoints', 'Endpoints', true),
  events: ref('', 'v1', 'events', 'Event', true),
  configmaps: ref('', 'v1', 'configmaps', 'ConfigMap', true),
  secrets: ref('', 'v1', 'secrets', 'Secret', true),
  serviceaccounts: ref('', 'v1', 'serviceaccounts', 'ServiceAccount', true),
  replicationcontrollers: ref('', 'v1', 'replicationcontrollers', 'ReplicationController', true),
  persistentvolumes: ref('', 'v1', 'persistentvolumes', 'PersistentVolume', false),
  persistentvolumeclaims: ref('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', true),
  resourcequotas: ref('', 'v1', 'resourcequotas', 'ResourceQuota', true),
  limitranges: ref('', 'v1', 'limitranges', 'LimitRange', true),
  replicasets: ref('apps', 'v1', 'replicasets', 'ReplicaSet', true),
  deployments: ref('apps', 'v1', 'deployments', 'Deployment', true),
  statefulsets: ref('apps', 'v1', 'statefulsets', 'StatefulSet', true),
  daemonsets: ref('apps', 'v1', 'daemonsets', 'DaemonSet', true),
  controllerrevisions: ref('apps', 'v1', 'controllerrevisions', 'ControllerRevision', true),
  jobs: ref('batch', 'v1', 'jobs', 'Job', true),
  cronjobs: ref('batch', 'v1', 'cronjobs', 'CronJob', true),
  leases: ref('coordination.k8s.io', 'v1', 'leases', 'Lease', true),
  endpointslices: ref('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', true),
  poddisruptionbudgets: ref('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', true),
  priorityclasses: ref('scheduling.k8s.io', 'v1', 'priorityclasses', 'PriorityClass', false),
  storageclasses: ref('storage.k8s.io', 'v1', 'storageclasses', 'StorageClass', false),
  csinodes: ref('storage.k8s.io', 'v1', 'csinodes', 'CSINode', false),
  horizontalpodautoscalers: ref('autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', true),
  certificatesigningrequests: ref('certificates.k8s.io', 'v1', 'certificatesigningrequests', 'CertificateSigningRequest', false),
  eventsV1: ref('events.k8s.io', 'v1', 'events', 'Event', true),
});

export function apiVersionOf(r: ResourceRef): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}
