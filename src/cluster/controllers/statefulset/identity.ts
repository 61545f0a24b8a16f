/**
 * A StatefulSet pod's identity (stateful_set_utils.go): its name `<set>-<ordinal>`, hostname and
 * subdomain (the governing service), the pod-name and pod-index labels, its revision label, and
 * the claims `<template>-<set>-<ordinal>` its volumes point at.
 */
import type { K8sObject } from '../../client/types.ts';
import { CONTROLLER_REVISION_HASH_LABEL } from '../history.ts';
import { isPodReady, isPodAvailable, type Pod } from '../pod-util.ts';
import { podFromTemplate } from '../replica-manage.ts';
import { STATEFUL_SETS } from './resources.ts';

export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

const ORDINAL_RE = /^(.*)-([0-9]+)$/;

/** getParentNameAndOrdinal: ordinal -1 when the name has none. */
export function parentAndOrdinal(pod: Pod): { parent: string; ordinal: number } {
  const m = ORDINAL_RE.exec(pod.metadata.name ?? '');
  if (!m) return { parent: '', ordinal: -1 };
  const n = Number(m[2]);
  return { parent: m[1]!, ordinal: Number.isSafeInteger(n) && n <= 2147483647 ? n : -1 };
}

export const ordinalOf = (pod: Pod): number => parentAndOrdinal(pod).ordinal;
export const isMemberOf = (set: K8sObject, pod: Pod): boolean => parentAndOrdinal(pod).parent === set.metadata.name;
export const podName = (set: K8sObject, ordinal: number): string => `${set.metadata.name}-${ordinal}`;
export const claimName = (set: K8sObject, claim: K8sObject, ordinal: number): string => `${claim.metadata?.name}-${set.metadata.name}-${ordinal}`;

export const replicasOf = (set: K8sObject): number => set.spec?.replicas ?? 1;
/** spec.ordinals.start (StatefulSetStartOrdinal, GA in 1.31). */
export const startOrdinal = (set: K8sObject): number => set.spec?.ordinals?.start ?? 0;
export const endOrdinal = (set: K8sObject): number => startOrdinal(set) + replicasOf(set) - 1;
export function inOrdinalRange(pod: Pod, set: K8sObject): boolean {
  const o = ordinalOf(pod);
  return o >= startOrdinal(set) && o <= endOrdinal(set);
}

export const podRevision = (pod: Pod): string => pod.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '';

/**
 * Whether the pod exists on the server. Upstream asks `status.phase != ""` because the API server
 * defaults the phase; here a pod is the controller's own plan until the server gave it a uid, so a
 * server (or fake) that leaves the phase empty is not asked to create the same pod twice.
 */
export const isCreated = (pod: Pod): boolean => !!pod.metadata.uid;
export const isTerminating = (pod: Pod): boolean => !!pod.metadata.deletionTimestamp;
export const isFailed = (pod: Pod): boolean => pod.status?.phase === 'Failed';
export const isSucceeded = (pod: Pod): boolean => pod.status?.phase === 'Succeeded';
export const isPending = (pod: Pod): boolean => pod.status?.phase === 'Pending';
export const isRunningAndReady = (pod: Pod): boolean => pod.status?.phase === 'Running' && isPodReady(pod);
export const isRunningAndAvailable = (pod: Pod, minReadySeconds: number, nowMs: number): boolean =>
  pod.status?.phase === 'Running' && isPodAvailable(pod, minReadySeconds, nowMs);
/** isUnavailable: not yet created, terminating, or not available. */
export const isUnavailable = (pod: Pod, minReadySeconds: number, nowMs: number): boolean =>
  !isCreated(pod) || isTerminating(pod) || !isPodAvailable(pod, minReadySeconds, nowMs);

/** identityMatches (1.33): name, namespace and the pod-name label agree with the set. */
export function identityMatches(set: K8sObject, pod: Pod): boolean {
  const { parent, ordinal } = parentAndOrdinal(pod);
  return ordinal >= 0 && parent === set.metadata.name && pod.metadata.name === podName(set, ordinal) &&
    pod.metadata.namespace === set.metadata.namespace && pod.metadata.labels?.[POD_NAME_LABEL] === pod.metadata.name;
}

/** storageMatches: every claim template has a volume pointing at this ordinal's claim. */
export function storageMatches(set: K8sObject, pod: Pod): boolean {
  const ordinal = ordinalOf(pod);
  if (ordinal < 0) return false;
  const volumes = new Map<string, any>((pod.spec?.volumes ?? []).map((v: any) => [v.name, v]));
  return (set.spec?.volumeClaimTemplates ?? []).every((c: K8sObject) => volumes.get(c.metadata?.name ?? '')?.persistentVolumeClaim?.claimName === claimName(set, c, ordinal));
}

/** getPersistentVolumeClaims: template name → the claim for this pod (labels gain the selector's matchLabels). */
export function claimsFor(set: K8sObject, ordinal: number): Map<string, K8sObject> {
  const out = new Map<string, K8sObject>();
  for (const t of (set.spec?.volumeClaimTemplates ?? []) as K8sObject[]) {
    const claim = structuredClone(t);
    claim.metadata = { ...claim.metadata, name: claimName(set, t, ordinal), namespace: set.metadata.namespace };
    claim.metadata.labels = { ...(claim.metadata.labels ?? {}), ...(set.spec?.selector?.matchLabels ?? {}) };
    out.set(t.metadata?.name ?? '', claim);
  }
  return out;
}

/** updateIdentity: name, namespace, pod-name and pod-index labels. */
export function updateIdentity(set: K8sObject, pod: Pod): void {
  const ordinal = ordinalOf(pod);
  pod.metadata.name = podName(set, ordinal);
  pod.metadata.namespace = set.metadata.namespace;
  pod.metadata.labels = { ...pod.metadata.labels, [POD_NAME_LABEL]: pod.metadata.name, [POD_INDEX_LABEL]: String(ordinal) };
}

/** updateStorage: claim volumes replace same-named volumes; the template's other volumes stay. */
export function updateStorage(set: K8sObject, pod: Pod): void {
  const claims = claimsFor(set, ordinalOf(pod));
  if (claims.size === 0) return;
  const volumes: any[] = [...claims].map(([name, c]) => ({ name, persistentVolumeClaim: { claimName: c.metadata.name } }));
  for (const v of pod.spec?.volumes ?? []) if (!claims.has(v.name)) volumes.push(v);
  pod.spec = { ...pod.spec, volumes };
}

/** newStatefulSetPod: the template's pod with its identity; hostname and subdomain only at creation. */
export function newStatefulSetPod(set: K8sObject, ordinal: number): Pod {
  const pod = podFromTemplate(set, STATEFUL_SETS);
  delete pod.metadata.generateName;
  pod.metadata.name = podName(set, ordinal);
  updateIdentity(set, pod);
  pod.spec = { ...pod.spec, hostname: pod.metadata.name, subdomain: set.spec?.serviceName };
  if (pod.spec.subdomain === undefined || pod.spec.subdomain === '') delete pod.spec.subdomain;
  updateStorage(set, pod);
  return pod;
}

/**
 * newVersionedStatefulSetPod: below the partition (or, without rollingUpdate, below the current
 * replica count) a new pod gets the current revision's template, otherwise the update revision's.
 * The condition keeps Go's precedence: `A && B || C`.
 */
export function newVersionedPod(currentSet: K8sObject, updateSet: K8sObject, currentRevision: string, updateRevision: string, ordinal: number): Pod {
  const strategy = currentSet.spec?.updateStrategy ?? {};
  const ru = strategy.rollingUpdate;
  const start = startOrdinal(currentSet);
  const useCurrent =
    ((strategy.type ?? 'RollingUpdate') === 'RollingUpdate' && !ru && ordinal < start + (currentSet.status?.currentReplicas ?? 0)) ||
    (!!ru && ordinal < start + (ru.partition ?? 0));
  const pod = newStatefulSetPod(useCurrent ? currentSet : updateSet, ordinal);
  pod.metadata.labels = { ...pod.metadata.labels, [CONTROLLER_REVISION_HASH_LABEL]: useCurrent ? currentRevision : updateRevision };
  return pod;
}

export const allowsBurst = (set: K8sObject): boolean => set.spec?.podManagementPolicy === 'Parallel';
