/**
 * The binder's writes (pv_controller.go): binding a volume and a claim to each other in upstream's
 * order (volume claimRef, volume phase, claim volumeName and annotations, claim status), phase
 * updates with lastPhaseTransitionTime, and unbinding. Each write is a PUT carrying the cached
 * resourceVersion (system:controller:persistent-volume-binder may update, not patch), so a stale
 * copy conflicts and the sync runs again on fresh state.
 */
import type { ApiClient, Informer, K8sObject } from '../../client/types.ts';
import { resources } from '../../client/resources.ts';
import type { EventRecorder, EventType } from '../events.ts';
import { formatTime } from '../pod-util.ts';
import { ANN_BIND_COMPLETED, ANN_BOUND_BY_CONTROLLER, isVolumeBoundToClaim, type PV, type PVC, type StorageClass } from './volume-util.ts';

export const PVS = resources.persistentvolumes;
export const PVCS = resources.persistentvolumeclaims;
export const STORAGE_CLASSES = resources.storageclasses;
export const COMPONENT = 'persistentvolume-controller';

export interface BinderContext {
  client: ApiClient;
  recorder: EventRecorder;
  volumes: Informer<PV>;
  claims: Informer<PVC>;
  classes: Informer<StorageClass>;
  nodes: Informer<K8sObject>;
  pods: Informer<K8sObject>;
  now: () => number;
  /** Root directory of local-path volumes. */
  localPathRoot: string;
  /** Ask for a sync of the claim (ns/name) or the volume (name) soon. */
  enqueueClaim(key: string): void;
  /** Waiting reasons a claim was told already (claim uid, reason, message), oldest first; bounded. */
  told: Set<string>;
  enqueueVolume(name: string): void;
}

export function claimEvent(ctx: BinderContext, claim: PVC, type: EventType, reason: string, message: string): void {
  ctx.recorder.event(claim, PVCS, type, reason, message);
}

const MAX_TOLD = 10_000;

/**
 * A waiting claim is synced again on every volume or class event: its event (WaitForFirstConsumer,
 * FailedBinding, ExternalProvisioning) is written once, not once per sync (upstream's recorder
 * folds the repeats into a count).
 */
export function claimEventOnce(ctx: BinderContext, claim: PVC, type: EventType, reason: string, message: string): void {
  const key = `${claim.metadata.uid}\u0000${reason}\u0000${message}`;
  const told = ctx.told;
  if (told.has(key)) return;
  told.add(key);
  if (told.size > MAX_TOLD) told.delete(told.values().next().value!);
  claimEvent(ctx, claim, type, reason, message);
}

export function volumeEvent(ctx: BinderContext, pv: PV, type: EventType, reason: string, message: string): void {
  ctx.recorder.event(pv, PVS, type, reason, message);
}

/** updateVolumePhase: phase and message through /status, with the transition time when the phase changes. */
export async function updateVolumePhase(ctx: BinderContext, pv: PV, phase: string, message = ''): Promise<PV> {
  if (pv.status?.phase === phase && (pv.status?.message ?? '') === message) return pv;
  const next = structuredClone(pv);
  next.status = { ...(next.status ?? {}), phase };
  if (message) next.status.message = message;
  else delete next.status.message;
  if (pv.status?.phase !== phase) next.status.lastPhaseTransitionTime = formatTime(ctx.now());
  return ctx.client.update(PVS, '', next, 'status');
}

export async function updateVolumePhaseWithEvent(ctx: BinderContext, pv: PV, phase: string, type: EventType, reason: string, message: string): Promise<PV> {
  const updated = await updateVolumePhase(ctx, pv, phase, message);
  if (pv.status?.phase !== phase) volumeEvent(ctx, updated, type, reason, message);
  return updated;
}

/** updateClaimStatus: the phase, and the bound volume's access modes and capacity (cleared without one). */
export async function updateClaimStatus(ctx: BinderContext, claim: PVC, phase: string, pv?: PV): Promise<PVC> {
  const status = { ...(claim.status ?? {}), phase };
  if (pv) {
    status.accessModes = [...(pv.spec?.accessModes ?? [])];
    status.capacity = { ...(status.capacity ?? {}), storage: pv.spec?.capacity?.storage };
  } else {
    delete status.accessModes;
    delete status.capacity;
  }
  if (JSON.stringify(status) === JSON.stringify(claim.status ?? {})) return claim;
  return ctx.client.update(PVCS, claim.metadata.namespace ?? '', { ...structuredClone(claim), status }, 'status');
}

export async function updateClaimStatusWithEvent(ctx: BinderContext, claim: PVC, phase: string, type: EventType, reason: string, message: string): Promise<PVC> {
  if (claim.status?.phase === phase) return claim;
  const updated = await updateClaimStatus(ctx, claim, phase);
  claimEvent(ctx, updated, type, reason, message);
  return updated;
}

/** The claimRef the volume carries (ref.GetReference). */
export const claimReference = (claim: PVC) => ({
  kind: 'PersistentVolumeClaim',
  namespace: claim.metadata.namespace,
  name: claim.metadata.name,
  uid: claim.metadata.uid,
  apiVersion: 'v1',
  resourceVersion: claim.metadata.resourceVersion,
});

/** getBindVolumeToClaim: the volume with claimRef to the claim; bound-by-controller when we chose it. Undefined when nothing changes. */
export function volumeBoundTo(pv: PV, claim: PVC): PV | undefined {
  const next = structuredClone(pv);
  let dirty = false;
  const setByUs = !isVolumeBoundToClaim(pv, claim);
  const ref = pv.spec?.claimRef;
  if (!ref || ref.name !== claim.metadata.name || ref.namespace !== claim.metadata.namespace || ref.uid !== claim.metadata.uid) {
    next.spec = { ...next.spec, claimRef: claimReference(claim) };
    dirty = true;
  }
  if (setByUs && next.metadata.annotations?.[ANN_BOUND_BY_CONTROLLER] === undefined) {
    next.metadata.annotations = { ...(next.metadata.annotations ?? {}), [ANN_BOUND_BY_CONTROLLER]: 'yes' };
    dirty = true;
  }
  return dirty ? next : undefined;
}

/** bind: volume → claim, volume phase Bound, claim → volume (bind-completed), claim phase Bound. */
export async function bind(ctx: BinderContext, pv: PV, claim: PVC): Promise<void> {
  const v = volumeBoundTo(pv, claim);
  let volume = v ? await ctx.client.update<PV>(PVS, '', v) : pv;
  volume = await updateVolumePhase(ctx, volume, 'Bound');
  const next = structuredClone(claim);
  let dirty = false;
  const setByUs = next.spec?.volumeName !== volume.metadata.name;
  if (next.spec?.volumeName !== volume.metadata.name) {
    next.spec = { ...next.spec, volumeName: volume.metadata.name };
    dirty = true;
  }
  const ann: Record<string, string> = { ...(next.metadata.annotations ?? {}) };
  if (setByUs && ann[ANN_BOUND_BY_CONTROLLER] === undefined) ann[ANN_BOUND_BY_CONTROLLER] = 'yes';
  if (ann[ANN_BIND_COMPLETED] === undefined) ann[ANN_BIND_COMPLETED] = 'yes';
  if (JSON.stringify(ann) !== JSON.stringify(next.metadata.annotations ?? {})) {
    next.metadata.annotations = ann;
    dirty = true;
  }
  const updated = dirty ? await ctx.client.update<PVC>(PVCS, next.metadata.namespace ?? '', next) : claim;
  await updateClaimStatus(ctx, updated, 'Bound', volume);
}

/**
 * unbindVolume: a volume we bound loses its claimRef and our annotation; one a user pre-bound
 * keeps the claim's name (only the uid goes), so it waits for that claim again. Then Available.
 */
export async function unbindVolume(ctx: BinderContext, pv: PV): Promise<void> {
  const next = structuredClone(pv);
  if (next.metadata.annotations?.[ANN_BOUND_BY_CONTROLLER] !== undefined) {
    delete next.spec.claimRef;
    delete next.metadata.annotations[ANN_BOUND_BY_CONTROLLER];
  } else if (next.spec?.claimRef) {
    delete next.spec.claimRef.uid;
  }
  const updated = await ctx.client.update<PV>(PVS, '', next);
  await updateVolumePhase(ctx, updated, 'Available');
}
