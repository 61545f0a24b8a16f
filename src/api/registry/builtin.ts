import type { ResourceDef, NameRule, ScaleInfo, SubresourceDef } from './resource-def.ts';
import { ALL_VERBS, SCALE_SUBRESOURCE, STATUS_SUBRESOURCE } from './resource-def.ts';
import { hpaV1ToV2, hpaV2ToV1 } from '../conversion/autoscaling.ts';
import { eventCoreToV1, eventV1Fields, eventV1ToCore } from '../conversion/events.ts';
import { defaultHorizontalPodAutoscalerV2 } from '../defaults/k8s-133.ts';

/**
 * The built-in resources served, as data: group, version, kind, names, scope, subresources and
 * the field selectors upstream supports for each (pkg/registry/<group>/<resource>/strategy.go).
 */

type Fields = (o: Record<string, any>) => Record<string, string>;
const none: Fields = () => ({});
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

const podFields: Fields = (o) => ({
  'spec.nodeName': str(o.spec?.nodeName),
  'spec.restartPolicy': str(o.spec?.restartPolicy),
  'spec.schedulerName': str(o.spec?.schedulerName),
  'spec.serviceAccountName': str(o.spec?.serviceAccountName),
  'spec.hostNetwork': String(Boolean(o.spec?.hostNetwork)),
  'status.phase': str(o.status?.phase),
  'status.podIP': str(o.status?.podIP),
  'status.nominatedNodeName': str(o.status?.nominatedNodeName),
});

const eventFields: Fields = (o) => ({
  'involvedObject.kind': str(o.involvedObject?.kind),
  'involvedObject.namespace': str(o.involvedObject?.namespace),
  'involvedObject.name': str(o.involvedObject?.name),
  'involvedObject.uid': str(o.involvedObject?.uid),
  'involvedObject.apiVersion': str(o.involvedObject?.apiVersion),
  'involvedObject.resourceVersion': str(o.involvedObject?.resourceVersion),
  'involvedObject.fieldPath': str(o.involvedObject?.fieldPath),
  reason: str(o.reason),
  reportingComponent: str(o.reportingComponent),
  source: str(o.source?.component),
  type: str(o.type),
});

/** Stored objects are v2; what v1 writes is converted and then given v2's defaults, as upstream's storage decoding does. */
const HPA_V1: ResourceDef['convert'] = {
  fromStored: (o) => hpaV2ToV1(o) as ReturnType<NonNullable<ResourceDef['convert']>['fromStored']>,
  toStored: (o) => {
    const v2 = hpaV1ToV2(o);
    defaultHorizontalPodAutoscalerV2(v2);
    return v2 as ReturnType<NonNullable<ResourceDef['convert']>['toStored']>;
  },
};

/** Versions with the same schema over one storage version: only apiVersion differs. */
function asVersion(served: string, stored: string): ResourceDef['convert'] {
  return {
    fromStored: (o) => ({ ...o, apiVersion: served, metadata: o.metadata }),
    toStored: (o) => ({ ...o, apiVersion: stored, metadata: o.metadata }),
  };
}

const SCALE_REPLICAS: ScaleInfo = { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' };

interface Row {
  g: string;
  v: string;
  kind: string;
  res: string;
  ns: boolean;
  short?: string[];
  cat?: string[];
  status?: boolean;
  scale?: boolean;
  virtual?: string;
  extra?: string[];
  name?: NameRule;
  gen?: boolean;
  fields?: Fields;
  /** Shares another group's storage (see ResourceDef.storageGroup). */
  storageGroup?: string;
  /** Served from another version's storage through this conversion (see ResourceDef.convert). */
  convert?: ResourceDef['convert'];
  /** Verbs, when not all of them (read-only or create-only resources). */
  verbs?: string[];
  pkg: string;
}

const ROWS: Row[] = [
  { g: '', v: 'v1', kind: 'Namespace', res: 'namespaces', ns: false, short: ['ns'], status: true, extra: ['finalize'], name: 'label', fields: (o) => ({ 'status.phase': str(o.status?.phase) }), pkg: 'core' },
  { g: '', v: 'v1', kind: 'Pod', res: 'pods', ns: true, short: ['po'], cat: ['all'], status: true, extra: ['binding', 'ephemeralcontainers', 'resize'], fields: podFields, pkg: 'core' },
  { g: '', v: 'v1', kind: 'Service', res: 'services', ns: true, short: ['svc'], cat: ['all'], status: true, name: 'label-1035', fields: (o) => ({ 'spec.clusterIP': str(o.spec?.clusterIP), 'spec.type': str(o.spec?.type) }), pkg: 'core' },
  { g: '', v: 'v1', kind: 'Endpoints', res: 'endpoints', ns: true, short: ['ep'], pkg: 'core' },
  { g: '', v: 'v1', kind: 'ConfigMap', res: 'configmaps', ns: true, short: ['cm'], pkg: 'core' },
  { g: '', v: 'v1', kind: 'Secret', res: 'secrets', ns: true, fields: (o) => ({ type: str(o.type) }), pkg: 'core' },
  { g: '', v: 'v1', kind: 'ServiceAccount', res: 'serviceaccounts', ns: true, short: ['sa'], extra: ['token'], pkg: 'core' },
  { g: '', v: 'v1', kind: 'Node', res: 'nodes', ns: false, short: ['no'], status: true, fields: (o) => ({ 'spec.unschedulable': String(Boolean(o.spec?.unschedulable)) }), pkg: 'core' },
  { g: '', v: 'v1', kind: 'Event', res: 'events', ns: true, short: ['ev'], fields: eventFields, pkg: 'core' },
  { g: '', v: 'v1', kind: 'ResourceQuota', res: 'resourcequotas', ns: true, short: ['quota'], status: true, pkg: 'core' },
  { g: '', v: 'v1', kind: 'LimitRange', res: 'limitranges', ns: true, short: ['limits'], pkg: 'core' },
  { g: '', v: 'v1', kind: 'PersistentVolume', res: 'persistentvolumes', ns: false, short: ['pv'], status: true, pkg: 'core' },
  { g: '', v: 'v1', kind: 'PersistentVolumeClaim', res: 'persistentvolumeclaims', ns: true, short: ['pvc'], status: true, pkg: 'core' },
  { g: 'apps', v: 'v1', kind: 'Deployment', res: 'deployments', ns: true, short: ['deploy'], cat: ['all'], status: true, scale: true, gen: true, pkg: 'apps' },
  { g: 'apps', v: 'v1', kind: 'ReplicaSet', res: 'replicasets', ns: true, short: ['rs'], cat: ['all'], status: true, scale: true, gen: true, fields: (o) => ({ 'status.replicas': str(o.status?.replicas ?? 0) }), pkg: 'apps' },
  { g: 'apps', v: 'v1', kind: 'StatefulSet', res: 'statefulsets', ns: true, short: ['sts'], cat: ['all'], status: true, scale: true, gen: true, pkg: 'apps' },
  { g: 'apps', v: 'v1', kind: 'DaemonSet', res: 'daemonsets', ns: true, short: ['ds'], cat: ['all'], status: true, gen: true, pkg: 'apps' },
  { g: 'batch', v: 'v1', kind: 'Job', res: 'jobs', ns: true, cat: ['all'], status: true, gen: true, fields: (o) => ({ 'status.successful': str(o.status?.succeeded ?? 0) }), pkg: 'batch' },
  { g: 'batch', v: 'v1', kind: 'CronJob', res: 'cronjobs', ns: true, short: ['cj'], cat: ['all'], status: true, gen: true, pkg: 'batch' },
  { g: 'networking.k8s.io', v: 'v1', kind: 'NetworkPolicy', res: 'networkpolicies', ns: true, short: ['netpol'], gen: true, pkg: 'networking' },
  { g: 'networking.k8s.io', v: 'v1', kind: 'Ingress', res: 'ingresses', ns: true, short: ['ing'], status: true, gen: true, pkg: 'networking' },
  { g: 'rbac.authorization.k8s.io', v: 'v1', kind: 'Role', res: 'roles', ns: true, name: 'path-segment', pkg: 'rbac' },
  { g: 'rbac.authorization.k8s.io', v: 'v1', kind: 'RoleBinding', res: 'rolebindings', ns: true, name: 'path-segment', pkg: 'rbac' },
  { g: 'rbac.authorization.k8s.io', v: 'v1', kind: 'ClusterRole', res: 'clusterroles', ns: false, name: 'path-segment', pkg: 'rbac' },
  { g: 'rbac.authorization.k8s.io', v: 'v1', kind: 'ClusterRoleBinding', res: 'clusterrolebindings', ns: false, name: 'path-segment', pkg: 'rbac' },
  { g: 'policy', v: 'v1', kind: 'PodDisruptionBudget', res: 'poddisruptionbudgets', ns: true, short: ['pdb'], status: true, gen: true, pkg: 'policy' },
  // Removed upstream in 1.25; served because the PodSecurityPolicy admission plugin reads it.
  { g: 'policy', v: 'v1beta1', kind: 'PodSecurityPolicy', res: 'podsecuritypolicies', ns: false, short: ['psp'], pkg: 'policy' },
  { g: 'coordination.k8s.io', v: 'v1', kind: 'Lease', res: 'leases', ns: true, pkg: 'coordination' },
  { g: 'admissionregistration.k8s.io', v: 'v1', kind: 'ValidatingAdmissionPolicy', res: 'validatingadmissionpolicies', ns: false, status: true, gen: true, pkg: 'admissionregistration' },
  { g: 'admissionregistration.k8s.io', v: 'v1', kind: 'ValidatingAdmissionPolicyBinding', res: 'validatingadmissionpolicybindings', ns: false, gen: true, pkg: 'admissionregistration' },
  { g: 'admissionregistration.k8s.io', v: 'v1', kind: 'ValidatingWebhookConfiguration', res: 'validatingwebhookconfigurations', ns: false, gen: true, pkg: 'admissionregistration' },
  { g: 'admissionregistration.k8s.io', v: 'v1', kind: 'MutatingWebhookConfiguration', res: 'mutatingwebhookconfigurations', ns: false, gen: true, pkg: 'admissionregistration' },
  { g: 'certificates.k8s.io', v: 'v1', kind: 'CertificateSigningRequest', res: 'certificatesigningrequests', ns: false, short: ['csr'], status: true, extra: ['approval'], fields: (o) => ({ 'spec.signerName': str(o.spec?.signerName) }), pkg: 'certificates' },
  // kubectl auth whoami asks v1 first and falls back to the beta and alpha versions (1.27 knows only those).
  { g: 'authentication.k8s.io', v: 'v1', kind: 'SelfSubjectReview', res: 'selfsubjectreviews', ns: false, virtual: 'self-subject-review', pkg: 'authentication' },
  { g: 'authentication.k8s.io', v: 'v1beta1', kind: 'SelfSubjectReview', res: 'selfsubjectreviews', ns: false, virtual: 'self-subject-review', pkg: 'authentication' },
  { g: 'authentication.k8s.io', v: 'v1alpha1', kind: 'SelfSubjectReview', res: 'selfsubjectreviews', ns: false, virtual: 'self-subject-review', pkg: 'authentication' },
  { g: 'authentication.k8s.io', v: 'v1', kind: 'TokenReview', res: 'tokenreviews', ns: false, virtual: 'token-review', pkg: 'authentication' },
  { g: 'authorization.k8s.io', v: 'v1', kind: 'SubjectAccessReview', res: 'subjectaccessreviews', ns: false, virtual: 'access-review', pkg: 'authorization' },
  { g: 'authorization.k8s.io', v: 'v1', kind: 'SelfSubjectAccessReview', res: 'selfsubjectaccessreviews', ns: false, virtual: 'access-review', pkg: 'authorization' },
  { g: 'authorization.k8s.io', v: 'v1', kind: 'SelfSubjectRulesReview', res: 'selfsubjectrulesreviews', ns: false, virtual: 'rules-review', pkg: 'authorization' },
  { g: 'authorization.k8s.io', v: 'v1', kind: 'LocalSubjectAccessReview', res: 'localsubjectaccessreviews', ns: true, virtual: 'access-review', pkg: 'authorization' },
  // Kubernetes 1.33's other default resources (GA and default-on beta), as upstream registers them.
  { g: '', v: 'v1', kind: 'PodTemplate', res: 'podtemplates', ns: true, pkg: 'core' },
  { g: '', v: 'v1', kind: 'ReplicationController', res: 'replicationcontrollers', ns: true, short: ['rc'], cat: ['all'], status: true, scale: true, gen: true, fields: (o) => ({ 'status.replicas': str(o.status?.replicas ?? 0) }), pkg: 'core' },
  // Binds a pod to a node (what a scheduler does); pods/<name>/binding does the same.
  { g: '', v: 'v1', kind: 'Binding', res: 'bindings', ns: true, verbs: ['create'], virtual: 'pod-binding', pkg: 'core' },
  // Computed on each read from the health of the store and of the embedded components; never stored.
  { g: '', v: 'v1', kind: 'ComponentStatus', res: 'componentstatuses', ns: false, short: ['cs'], verbs: ['get', 'list'], virtual: 'component-status', pkg: 'core' },
  { g: 'apps', v: 'v1', kind: 'ControllerRevision', res: 'controllerrevisions', ns: true, pkg: 'apps' },
  { g: 'autoscaling', v: 'v2', kind: 'HorizontalPodAutoscaler', res: 'horizontalpodautoscalers', ns: true, short: ['hpa'], cat: ['all'], status: true, pkg: 'autoscaling' },
  // autoscaling/v1 reads and writes the autoscaling/v2 objects (v2 listed first: the preferred version).
  { g: 'autoscaling', v: 'v1', kind: 'HorizontalPodAutoscaler', res: 'horizontalpodautoscalers', ns: true, short: ['hpa'], cat: ['all'], status: true, pkg: 'autoscaling', convert: HPA_V1 },
  // events.k8s.io Events are the core Events under other field names, in the same storage.
  { g: 'events.k8s.io', v: 'v1', kind: 'Event', res: 'events', ns: true, short: ['ev'], fields: eventV1Fields, storageGroup: 'core', convert: { fromStored: eventCoreToV1, toStored: eventV1ToCore }, pkg: 'events' },
  { g: 'discovery.k8s.io', v: 'v1', kind: 'EndpointSlice', res: 'endpointslices', ns: true, pkg: 'discovery' },
  { g: 'networking.k8s.io', v: 'v1', kind: 'IngressClass', res: 'ingressclasses', ns: false, gen: true, pkg: 'networking' },
  { g: 'networking.k8s.io', v: 'v1', kind: 'ServiceCIDR', res: 'servicecidrs', ns: false, status: true, pkg: 'networking' },
  { g: 'networking.k8s.io', v: 'v1', kind: 'IPAddress', res: 'ipaddresses', ns: false, short: ['ip'], pkg: 'networking' },
  { g: 'node.k8s.io', v: 'v1', kind: 'RuntimeClass', res: 'runtimeclasses', ns: false, pkg: 'node' },
  { g: 'scheduling.k8s.io', v: 'v1', kind: 'PriorityClass', res: 'priorityclasses', ns: false, short: ['pc'], pkg: 'scheduling' },
  { g: 'storage.k8s.io', v: 'v1', kind: 'StorageClass', res: 'storageclasses', ns: false, short: ['sc'], pkg: 'storage' },
  { g: 'storage.k8s.io', v: 'v1', kind: 'CSIDriver', res: 'csidrivers', ns: false, pkg: 'storage' },
  { g: 'storage.k8s.io', v: 'v1', kind: 'CSINode', res: 'csinodes', ns: false, pkg: 'storage' },
  { g: 'storage.k8s.io', v: 'v1', kind: 'VolumeAttachment', res: 'volumeattachments', ns: false, status: true, pkg: 'storage' },
  { g: 'storage.k8s.io', v: 'v1', kind: 'CSIStorageCapacity', res: 'csistoragecapacities', ns: true, pkg: 'storage' },
  { g: 'flowcontrol.apiserver.k8s.io', v: 'v1', kind: 'FlowSchema', res: 'flowschemas', ns: false, status: true, gen: true, pkg: 'flowcontrol' },
  { g: 'flowcontrol.apiserver.k8s.io', v: 'v1', kind: 'PriorityLevelConfiguration', res: 'prioritylevelconfigurations', ns: false, status: true, gen: true, pkg: 'flowcontrol' },
  { g: 'apiregistration.k8s.io', v: 'v1', kind: 'APIService', res: 'apiservices', ns: false, status: true, pkg: 'apiregistration' },
  { g: 'apiextensions.k8s.io', v: 'v1', kind: 'CustomResourceDefinition', res: 'customresourcedefinitions', ns: false, short: ['crd', 'crds'], status: true, gen: true, pkg: 'apiextensions' },
];

/**
 * Subresources beyond status and scale, by kind, as upstream 1.33 serves them: the kind each
 * carries (what clients send and admission sees) and what it may change in the parent.
 * pods/attach, exec, log and portforward and nodes/proxy are the node agent's, reached through src/server/node-proxy;
 * pods/proxy is not served yet.
 */
const EXTRA_SUBRESOURCES: Record<string, SubresourceDef[]> = {
  '/Pod': [
    { name: 'attach', verbs: ['create', 'get'], kind: { group: '', version: 'v1', kind: 'PodAttachOptions' }, changes: 'node-stream' },
    { name: 'exec', verbs: ['create', 'get'], kind: { group: '', version: 'v1', kind: 'PodExecOptions' }, changes: 'node-stream' },
    { name: 'log', verbs: ['get'], kind: { group: '', version: 'v1', kind: 'Pod' }, changes: 'node-stream' },
    { name: 'portforward', verbs: ['create', 'get'], kind: { group: '', version: 'v1', kind: 'PodPortForwardOptions' }, changes: 'node-stream' },
    { name: 'binding', verbs: ['create'], kind: { group: '', version: 'v1', kind: 'Binding' }, changes: 'spec.nodeName' },
    { name: 'ephemeralcontainers', verbs: ['get', 'patch', 'update'], changes: 'spec.ephemeralContainers' },
    { name: 'eviction', verbs: ['create'], kind: { group: 'policy', version: 'v1', kind: 'Eviction' }, changes: 'deletion' },
    { name: 'resize', verbs: ['get', 'patch', 'update'], kind: { group: '', version: 'v1', kind: 'Pod' }, changes: 'container-resources' },
  ],
  '/Namespace': [{ name: 'finalize', verbs: ['update'], changes: 'spec.finalizers' }],
  '/Node': [{ name: 'proxy', verbs: ['create', 'delete', 'get', 'patch', 'update'], kind: { group: '', version: 'v1', kind: 'NodeProxyOptions' }, changes: 'node-stream' }],
  '/ServiceAccount': [{ name: 'token', verbs: ['create'], kind: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' }, changes: 'token' }],
  'certificates.k8s.io/CertificateSigningRequest': [{ name: 'approval', verbs: ['get', 'patch', 'update'], changes: 'approval' }],
};

/** A row's subresources, sorted by name as upstream's discovery lists them. */
function subresourceTable(r: Row): SubresourceDef[] {
  const out: SubresourceDef[] = [...(EXTRA_SUBRESOURCES[`${r.g}/${r.kind}`] ?? [])];
  if (r.status) out.push(STATUS_SUBRESOURCE);
  if (r.scale) out.push(SCALE_SUBRESOURCE);
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function protoPackage(row: Row): string {
  if (row.pkg === 'apiextensions') return `k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.${row.v}`;
  if (row.pkg === 'apiregistration') return `k8s.io.kube_aggregator.pkg.apis.apiregistration.${row.v}`;
  return `k8s.io.api.${row.pkg}.${row.v}`;
}

export function builtinResources(): ResourceDef[] {
  return ROWS.map(toDef);
}

/**
 * MutatingAdmissionPolicy and its binding: v1beta1 as upstream 1.34 (the storage version here) and
 * v1alpha1 as upstream 1.33 serves them (same schema). Served only while the MutatingAdmissionPolicy
 * plugin is enabled (build-server.ts), as upstream's feature gate and runtime-config keep them off.
 */
const MUTATING_ADMISSION_POLICY_ROWS: Row[] = [
  { g: 'admissionregistration.k8s.io', v: 'v1beta1', kind: 'MutatingAdmissionPolicy', res: 'mutatingadmissionpolicies', ns: false, gen: true, pkg: 'admissionregistration' },
  { g: 'admissionregistration.k8s.io', v: 'v1beta1', kind: 'MutatingAdmissionPolicyBinding', res: 'mutatingadmissionpolicybindings', ns: false, pkg: 'admissionregistration' },
  { g: 'admissionregistration.k8s.io', v: 'v1alpha1', kind: 'MutatingAdmissionPolicy', res: 'mutatingadmissionpolicies', ns: false, gen: true, convert: asVersion('admissionregistration.k8s.io/v1alpha1', 'admissionregistration.k8s.io/v1beta1'), pkg: 'admissionregistration' },
  { g: 'admissionregistration.k8s.io', v: 'v1alpha1', kind: 'MutatingAdmissionPolicyBinding', res: 'mutatingadmissionpolicybindings', ns: false, convert: asVersion('admissionregistration.k8s.io/v1alpha1', 'admissionregistration.k8s.io/v1beta1'), pkg: 'admissionregistration' },
];

export function mutatingAdmissionPolicyResources(): ResourceDef[] {
  return MUTATING_ADMISSION_POLICY_ROWS.map(toDef);
}

function toDef(r: Row): ResourceDef {
  return {
    group: r.g,
    version: r.v,
    kind: r.kind,
    listKind: `${r.kind}List`,
    resource: r.res,
    singular: r.kind.toLowerCase(),
    namespaced: r.ns,
    shortNames: r.short ?? [],
    categories: r.cat ?? [],
    verbs: r.verbs ?? (r.virtual ? ['create'] : [...ALL_VERBS]),
    virtual: r.virtual,
    status: r.status ?? false,
    scale: r.scale ? SCALE_REPLICAS : undefined,
    extraSubresources: r.extra,
    subresources: subresourceTable(r),
    nameRule: r.name ?? 'subdomain',
    generation: r.gen ?? false,
    fieldLabels: r.fields ?? none,
    typeName: `${protoPackage(r)}.${r.kind}`,
    graceful: r.kind === 'Pod' ? podGracePeriod : undefined,
    convert: r.convert,
    storageGroup: r.storageGroup,
  };
}

/** Pods bound to a node are deleted gracefully (the node agent confirms); unbound pods at once. */
function podGracePeriod(o: Record<string, any>): number | undefined {
  if (!o.spec?.nodeName) return undefined;
  return typeof o.spec?.terminationGracePeriodSeconds === 'number' ? o.spec.terminationGracePeriodSeconds : 30;
}
