/**
 * StatefulPodControl (stateful_pod_control.go): pods are created after their claims, deleted and
 * repaired (identity, storage) with upstream's events; claims carry the owner references that
 * persistentVolumeClaimRetentionPolicy asks for, so the garbage collector removes them on
 * scale-down (owned by the pod) or with the set (owned by the set).
 */
import type { ApiClient, Informer, K8sObject } from '../../client/types.ts';
import { isAlreadyExists, isNotFound } from '../../client/errors.ts';
import type { EventRecorder } from '../events.ts';
import type { OwnerReference } from '../controller-ref.ts';
import { PODS } from '../resources.ts';
import { errorMessage } from '../replica-status.ts';
import type { Pod } from '../pod-util.ts';
import { claimsFor, identityMatches, inOrdinalRange, ordinalOf, storageMatches, updateIdentity, updateStorage } from './identity.ts';
import { PVCS, STATEFUL_SETS } from './resources.ts';

export interface PodControl {
  client: ApiClient;
  recorder: EventRecorder;
  claims: Informer<K8sObject>;
}

const title = (verb: string): string => verb[0]!.toUpperCase() + verb.slice(1);

function podEvent(pc: PodControl, verb: string, set: K8sObject, pod: Pod, err?: unknown): void {
  if (err === undefined) pc.recorder.event(set, STATEFUL_SETS, 'Normal', `Successful${title(verb)}`, `${verb} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`);
  else pc.recorder.event(set, STATEFUL_SETS, 'Warning', `Failed${title(verb)}`, `${verb} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${errorMessage(err)}`);
}

function claimEvent(pc: PodControl, verb: string, set: K8sObject, pod: Pod, claim: K8sObject, err?: unknown): void {
  if (err === undefined) pc.recorder.event(set, STATEFUL_SETS, 'Normal', `Successful${title(verb)}`, `${verb} Claim ${claim.metadata.name} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} success`);
  else pc.recorder.event(set, STATEFUL_SETS, 'Warning', `Failed${title(verb)}`, `${verb} Claim ${claim.metadata.name} for Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${errorMessage(err)}`);
}

const ref = (apiVersion: string, kind: string, o: K8sObject): OwnerReference => ({ apiVersion, kind, name: o.metadata.name!, uid: o.metadata.uid! });

/**
 * The claim's owner references for the retention policy (updateClaimOwnerRefForSetAndPod):
 * whenDeleted=Delete → owned by the set while its pod is in range; whenScaled=Delete → owned by
 * the pod once it is scaled down. Retain removes both references. Returns undefined when the pod
 * has no uid yet (it is owned once it exists).
 */
export function claimOwnerRefs(set: K8sObject, pod: Pod, claim: K8sObject): OwnerReference[] {
  const policy = set.spec?.persistentVolumeClaimRetentionPolicy ?? {};
  const whenDeleted = policy.whenDeleted === 'Delete';
  const whenScaled = policy.whenScaled === 'Delete';
  const scaledDown = !inOrdinalRange(pod, set);
  const others = ((claim.metadata.ownerReferences ?? []) as OwnerReference[]).filter((r) => r.uid !== set.metadata.uid && (!pod.metadata.uid || r.uid !== pod.metadata.uid));
  const refs = [...others];
  if (whenDeleted && !(whenScaled && scaledDown)) refs.push(ref('apps/v1', 'StatefulSet', set));
  if (whenScaled && scaledDown && pod.metadata.uid) refs.push(ref('v1', 'Pod', pod));
  return refs;
}

const sameRefs = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? []) === JSON.stringify(b ?? []);

/** createPersistentVolumeClaims: missing claims are created; one being deleted blocks the pod. */
export async function createMissingClaims(pc: PodControl, set: K8sObject, pod: Pod): Promise<void> {
  const errors: unknown[] = [];
  for (const claim of claimsFor(set, ordinalOf(pod)).values()) {
    const ns = claim.metadata.namespace ?? '';
    const existing = pc.claims.get(ns, claim.metadata.name!);
    if (existing) {
      if (existing.metadata.deletionTimestamp) errors.push(new Error(`pvc ${claim.metadata.name} is being deleted`));
      continue;
    }
    const refs = claimOwnerRefs(set, pod, claim);
    if (refs.length > 0) claim.metadata.ownerReferences = refs;
    else delete claim.metadata.ownerReferences;
    try {
      await pc.client.create(PVCS, ns, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', ...claim });
      claimEvent(pc, 'create', set, pod, claim);
    } catch (err) {
      // Created meanwhile (the informer had not seen it): that is the claim we wanted.
      if (isAlreadyExists(err)) continue;
      claimEvent(pc, 'create', set, pod, claim, err);
      errors.push(err);
    }
  }
  if (errors.length > 0) throw errors[0];
}

/** PodClaimIsStale: a claim of this pod that is being deleted must go before the pod is made again. */
export function claimIsStale(pc: PodControl, set: K8sObject, pod: Pod): boolean {
  for (const claim of claimsFor(set, ordinalOf(pod)).values()) {
    if (pc.claims.get(claim.metadata.namespace ?? '', claim.metadata.name!)?.metadata.deletionTimestamp) return true;
  }
  return false;
}

/**
 * CreateStatefulPod: claims first, then the pod. A pod that already exists was created by an
 * earlier sync whose watch event has not arrived: the event requeues the set, so this is not an
 * error worth a backoff. Returns whether the pod was created.
 */
export async function createStatefulPod(pc: PodControl, set: K8sObject, pod: Pod): Promise<boolean> {
  await createMissingClaims(pc, set, pod);
  try {
    await pc.client.create(PODS, set.metadata.namespace ?? '', pod);
  } catch (err) {
    if (isAlreadyExists(err)) return false;
    podEvent(pc, 'create', set, pod, err);
    throw err;
  }
  podEvent(pc, 'create', set, pod);
  return true;
}

export async function deleteStatefulPod(pc: PodControl, set: K8sObject, pod: Pod): Promise<void> {
  try {
    await pc.client.delete(PODS, pod.metadata.namespace ?? '', pod.metadata.name!, { preconditions: { uid: pod.metadata.uid } });
  } catch (err) {
    if (isNotFound(err)) return;
    podEvent(pc, 'delete', set, pod, err);
    throw err;
  }
  podEvent(pc, 'delete', set, pod);
}

/** ClaimsMatchRetentionPolicy: every existing claim of the pod has the owner references it should. */
export function claimsMatchPolicy(pc: PodControl, set: K8sObject, pod: Pod): boolean {
  for (const claim of claimsFor(set, ordinalOf(pod)).values()) {
    const cur = pc.claims.get(claim.metadata.namespace ?? '', claim.metadata.name!);
    if (cur && !sameRefs(cur.metadata.ownerReferences, claimOwnerRefs(set, pod, cur))) return false;
  }
  return true;
}

/** UpdatePodClaimForRetentionPolicy: rewrite the claims' owner references (the cached resourceVersion is the precondition). */
export async function updateClaimsForPolicy(pc: PodControl, set: K8sObject, pod: Pod): Promise<void> {
  for (const claim of claimsFor(set, ordinalOf(pod)).values()) {
    const cur = pc.claims.get(claim.metadata.namespace ?? '', claim.metadata.name!);
    if (!cur) continue;
    const refs = claimOwnerRefs(set, pod, cur);
    if (sameRefs(cur.metadata.ownerReferences, refs)) continue;
    // An update, not a patch: system:controller:statefulset-controller may update claims, not patch them.
    const next = structuredClone(cur);
    if (refs.length > 0) next.metadata.ownerReferences = refs;
    else delete next.metadata.ownerReferences;
    await pc.client.update(PVCS, next.metadata.namespace ?? '', next);
  }
}

/**
 * UpdateStatefulPod: restore a pod's identity labels and storage (someone edited them), creating
 * missing claims first; the write carries the cached resourceVersion, so a stale copy conflicts
 * and the sync retries on fresh state.
 */
export async function updateStatefulPod(pc: PodControl, set: K8sObject, cached: Pod): Promise<void> {
  const pod = structuredClone(cached);
  if (!identityMatches(set, pod)) updateIdentity(set, pod);
  if (!storageMatches(set, pod)) {
    updateStorage(set, pod);
    await createMissingClaims(pc, set, pod);
  }
  if (!claimsMatchPolicy(pc, set, pod)) await updateClaimsForPolicy(pc, set, pod);
  if (JSON.stringify(pod) === JSON.stringify(cached)) return;
  try {
    await pc.client.update(PODS, pod.metadata.namespace ?? '', pod);
  } catch (err) {
    podEvent(pc, 'update', set, pod, err);
    throw err;
  }
  podEvent(pc, 'update', set, pod);
}
