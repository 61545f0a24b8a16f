/**
 * Pod defaults after pkg/apis/core/v1/defaults.go. PodSpec/container defaults also apply inside
 * every pod template; the Pod-only ones (requests from limits, enableServiceLinks, host network
 * ports) do not. status.phase=Pending and status.qosClass are set by the pod create strategy, and
 * spec.priority by the Priority admission plugin, so neither happens here.
 */
import type { Container, HTTPGetAction, Pod, PodSpec, PodTemplateSpec, Probe, Volume } from 'kubernetes-types/core/v1.js';
import { zeroConditionTimes } from './condition-times.ts';

type Obj = Record<string, unknown>;

export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;
/** 0644: secret, configMap, downwardAPI and projected volumes. */
const DEFAULT_MODE = 0o644;
const VOLUME_SOURCES = [
  'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi', 'glusterfs',
  'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc', 'azureFile', 'configMap',
  'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected', 'portworxVolume', 'scaleIO', 'storageos', 'csi',
  'ephemeral', 'image',
];

/**
 * The tag docker's reference parser would find: "latest" when neither tag nor digest is given, ""
 * for digest-only or unparsable references (upstream then defaults to IfNotPresent).
 */
export function imageTag(image: string): string {
  if (!image || image.trim() !== image) return '';
  const at = image.indexOf('@');
  const name = at >= 0 ? image.slice(0, at) : image;
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  const tag = colon > slash ? name.slice(colon + 1) : '';
  const repo = colon > slash ? name.slice(0, colon) : name;
  const firstSlash = repo.indexOf('/');
  const domainLike = firstSlash >= 0 && /[.:]|^localhost$/.test(repo.slice(0, firstSlash));
  const remote = domainLike ? repo.slice(firstSlash + 1) : repo;
  // Repository paths must be lowercase; such references fail to parse upstream.
  if (remote === '' || /[A-Z]/.test(remote)) return '';
  if (tag) return tag;
  return at >= 0 ? '' : 'latest';
}

function defaultHTTPGet(h: HTTPGetAction | undefined): void {
  if (!h) return;
  h.path ||= '/';
  h.scheme ||= 'HTTP';
}

function defaultProbe(p: Probe | undefined): void {
  if (!p) return;
  p.timeoutSeconds ||= 1;
  p.periodSeconds ||= 10;
  p.successThreshold ||= 1;
  p.failureThreshold ||= 3;
  defaultHTTPGet(p.httpGet);
}

function defaultFieldRef(ref: { apiVersion?: string } | undefined): void {
  if (ref && !ref.apiVersion) ref.apiVersion = 'v1';
}

export function defaultContainer(c: Container): void {
  if (!c.imagePullPolicy) c.imagePullPolicy = imageTag(c.image ?? '') === 'latest' ? 'Always' : 'IfNotPresent';
  c.terminationMessagePath ||= '/dev/termination-log';
  c.terminationMessagePolicy ||= 'File';
  for (const port of c.ports ?? []) port.protocol ||= 'TCP';
  for (const env of c.env ?? []) defaultFieldRef(env.valueFrom?.fieldRef);
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  defaultHTTPGet(c.lifecycle?.postStart?.httpGet);
  defaultHTTPGet(c.lifecycle?.preStop?.httpGet);
}

function defaultVolume(v: Volume): void {
  const rec = v as unknown as Obj;
  if (!VOLUME_SOURCES.some((s) => rec[s] !== undefined && rec[s] !== null)) v.emptyDir = {};
  if (v.secret && v.secret.defaultMode === undefined) v.secret.defaultMode = DEFAULT_MODE;
  if (v.configMap && v.configMap.defaultMode === undefined) v.configMap.defaultMode = DEFAULT_MODE;
  if (v.downwardAPI) {
    if (v.downwardAPI.defaultMode === undefined) v.downwardAPI.defaultMode = DEFAULT_MODE;
    for (const item of v.downwardAPI.items ?? []) defaultFieldRef(item.fieldRef);
  }
  if (v.projected) {
    if (v.projected.defaultMode === undefined) v.projected.defaultMode = DEFAULT_MODE;
    for (const src of v.projected.sources ?? []) {
      if (src.serviceAccountToken && src.serviceAccountToken.expirationSeconds === undefined) src.serviceAccountToken.expirationSeconds = 3600;
      for (const item of src.downwardAPI?.items ?? []) defaultFieldRef(item.fieldRef);
    }
  }
  if (v.hostPath && v.hostPath.type === undefined) v.hostPath.type = '';
  if (v.iscsi) v.iscsi.iscsiInterface ||= 'default';
  if (v.ephemeral?.volumeClaimTemplate?.spec) v.ephemeral.volumeClaimTemplate.spec.volumeMode ||= 'Filesystem';
}

/** SetDefaults_PodSpec plus the nested container/volume defaults: for pods and pod templates. */
export function defaultPodSpec(spec: PodSpec | undefined): void {
  if (!spec) return;
  spec.dnsPolicy ||= 'ClusterFirst';
  spec.restartPolicy ||= 'Always';
  spec.securityContext ??= {};
  spec.terminationGracePeriodSeconds ??= DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
  spec.schedulerName ||= 'default-scheduler';
  for (const c of spec.containers ?? []) defaultContainer(c);
  for (const c of spec.initContainers ?? []) defaultContainer(c);
  for (const c of spec.ephemeralContainers ?? []) defaultContainer(c as Container);
  for (const v of spec.volumes ?? []) defaultVolume(v);
}

export function defaultPodTemplateSpec(t: PodTemplateSpec | undefined): void {
  defaultPodSpec(t?.spec);
}

function requestsFromLimits(c: Container): void {
  const limits = c.resources?.limits;
  if (!limits || !c.resources) return;
  // A limit without a request means "reserve what I may use": the QoS class depends on this.
  c.resources.requests ??= {};
  for (const [k, v] of Object.entries(limits)) if (!(k in c.resources.requests)) c.resources.requests[k] = v;
}

function hostNetworkPorts(containers: Container[] | undefined): void {
  for (const c of containers ?? []) {
    for (const p of c.ports ?? []) if (!p.hostPort) p.hostPort = p.containerPort;
  }
}

export function defaultPod(pod: Pod): void {
  pod.spec ??= { containers: [] };
  const spec = pod.spec;
  for (const c of spec.containers ?? []) requestsFromLimits(c);
  for (const c of spec.initContainers ?? []) requestsFromLimits(c);
  spec.enableServiceLinks ??= true;
  if (spec.hostNetwork) {
    hostNetworkPorts(spec.containers);
    hostNetworkPorts(spec.initContainers);
  }
  defaultPodSpec(spec);
  // PodCondition's times are metav1.Time values: null when unset (condition-times.ts).
  zeroConditionTimes(pod.status?.conditions, ['type', 'observedGeneration', 'status'], ['lastProbeTime', 'lastTransitionTime']);
}
