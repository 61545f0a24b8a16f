/**
 * What the PersistentVolume binder and the scheduler's VolumeBinding plugin agree on
 * (component-helpers/storage/volume, pkg/controller/volume/persistentvolume/util): the binding
 * annotations, a claim's and a volume's class, delayed binding, node affinity and
 * FindMatchingVolume. One module, so the scheduler chooses a volume by the same rules the
 * controller binds it by.
 */
import type { K8sObject } from '../../client/types.ts';
import { cmpQty, parseQty, type Qty } from '../../../api/quantity.ts';
import { selectorFromMetav1 } from '../../../api/selectors/label-selector.ts';
import { termMatches, type NodeSelectorTerm } from '../../scheduler/labels.ts';

export type PV = K8sObject;
export type PVC = K8sObject;
export type StorageClass = K8sObject;

export const ANN_BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
export const ANN_BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
export const ANN_DYNAMICALLY_PROVISIONED = 'pv.kubernetes.io/provisioned-by';
export const ANN_SELECTED_NODE = 'volume.kubernetes.io/selected-node';
export const ANN_STORAGE_PROVISIONER = 'volume.kubernetes.io/storage-provisioner';
export const ANN_BETA_STORAGE_PROVISIONER = 'volume.beta.kubernetes.io/storage-provisioner';
export const ANN_BETA_CLASS = 'volume.beta.kubernetes.io/storage-class';
export { ANN_BETA_DEFAULT_CLASS, ANN_DEFAULT_CLASS } from '../../../api/default-storage-class.ts';
/** volume.NotSupportedProvisioner: a class whose volumes are only ever made by hand. */
export const NOT_SUPPORTED_PROVISIONER = 'kubernetes.io/no-provisioner';

/** GetPersistentVolumeClaimClass: the beta annotation first, then spec.storageClassName, else "". */
export function claimClass(claim: PVC): string {
  const beta = claim.metadata.annotations?.[ANN_BETA_CLASS];
  if (beta !== undefined) return String(beta);
  return claim.spec?.storageClassName ?? '';
}

/** GetPersistentVolumeClass. */
export function volumeClass(pv: PV): string {
  const beta = pv.metadata.annotations?.[ANN_BETA_CLASS];
  if (beta !== undefined) return String(beta);
  return pv.spec?.storageClassName ?? '';
}

/** IsDelayBindingMode: the claim's class binds WaitForFirstConsumer (an unknown class binds at once). */
export function isDelayBinding(claim: PVC, classOf: (name: string) => StorageClass | undefined): boolean {
  const name = claimClass(claim);
  if (!name) return false;
  return classOf(name)?.volumeBindingMode === 'WaitForFirstConsumer';
}

/** IsDelayBindingProvisioning: the scheduler has picked a node for the claim. */
export const isDelayBindingProvisioning = (claim: PVC): boolean => Boolean(claim.metadata.annotations?.[ANN_SELECTED_NODE]);

export { defaultClass, isDefaultClass } from '../../../api/default-storage-class.ts';

export function storageQty(list: Record<string, unknown> | undefined): Qty | undefined {
  return parseQty(list?.storage);
}

/** IsVolumeBoundToClaim: the volume's claimRef names the claim (and its uid, when it has one). */
export function isVolumeBoundToClaim(pv: PV, claim: PVC): boolean {
  const ref = pv.spec?.claimRef;
  if (!ref) return false;
  if (ref.name !== claim.metadata.name || ref.namespace !== claim.metadata.namespace) return false;
  return !ref.uid || ref.uid === claim.metadata.uid;
}

/** CheckVolumeModeMismatches: Filesystem unless said otherwise, on both sides. */
export const volumeModeMismatch = (claim: PVC, pv: PV): boolean => (claim.spec?.volumeMode ?? 'Filesystem') !== (pv.spec?.volumeMode ?? 'Filesystem');

/** CheckAccessModes: every mode the claim asks for is one the volume has. */
export function hasAccessModes(claim: PVC, pv: PV): boolean {
  const have = new Set<string>(pv.spec?.accessModes ?? []);
  return ((claim.spec?.accessModes ?? []) as string[]).every((m) => have.has(m));
}

/** CheckNodeAffinity: a volume without required node affinity fits every node. */
export function volumeFitsNode(pv: PV, node: K8sObject): boolean {
  const terms: NodeSelectorTerm[] | undefined = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms;
  if (!terms) return true;
  return terms.some((t) => termMatches(t, node));
}

/**
 * FindMatchingVolume: the volume pre-bound to the claim if there is one; otherwise the smallest
 * Available, unclaimed volume with enough capacity, the same class and volume mode, the claim's
 * access modes, labels its selector matches and (when a node is given, the scheduler's case) node
 * affinity to that node. Without a node, a claim whose class delays binding matches only a
 * pre-bound volume: the scheduler chooses for it. `skip` leaves out volumes already promised.
 */
export function findMatchingVolume(claim: PVC, volumes: readonly PV[], node: K8sObject | undefined, delayBinding: boolean, skip?: (pv: PV) => boolean): PV | undefined {
  const requested = storageQty(claim.spec?.resources?.requests) ?? parseQty('0')!;
  const wantedClass = claimClass(claim);
  let selector;
  try {
    selector = claim.spec?.selector ? selectorFromMetav1(claim.spec.selector) : undefined;
  } catch {
    return undefined;
  }
  // allPossibleMatchingAccessModes: volumes with the fewest access modes are tried first.
  const candidates = volumes.filter((v) => hasAccessModes(claim, v)).sort((a, b) => (a.spec?.accessModes?.length ?? 0) - (b.spec?.accessModes?.length ?? 0));
  let best: PV | undefined;
  let bestQty: Qty | undefined;
  let bestModes = -1;
  for (const pv of candidates) {
    const qty = storageQty(pv.spec?.capacity);
    if (!qty || cmpQty(qty, requested) < 0) continue;
    if (volumeModeMismatch(claim, pv)) continue;
    if (pv.metadata.deletionTimestamp) continue;
    const fits = node === undefined || volumeFitsNode(pv, node);
    if (isVolumeBoundToClaim(pv, claim)) return fits ? pv : undefined;
    if (node === undefined && delayBinding) continue;
    if (pv.status?.phase !== 'Available' || pv.spec?.claimRef) continue;
    if (skip?.(pv)) continue;
    if (selector && !selector.matches(pv.metadata.labels ?? {})) continue;
    if (volumeClass(pv) !== wantedClass || !fits) continue;
    const modes = pv.spec?.accessModes?.length ?? 0;
    // The first mode group with a match wins; within it the smallest volume.
    if (best && modes > bestModes) continue;
    if (!best || cmpQty(bestQty!, qty) > 0) {
      best = pv;
      bestQty = qty;
      bestModes = modes;
    }
  }
  return best;
}

/** The claims a pod uses: persistentVolumeClaim volumes and generic ephemeral volumes (<pod>-<volume>). */
export function podClaimNames(pod: K8sObject): string[] {
  const out: string[] = [];
  for (const v of pod.spec?.volumes ?? []) {
    if (v?.persistentVolumeClaim?.claimName) out.push(v.persistentVolumeClaim.claimName);
    else if (v?.ephemeral) out.push(`${pod.metadata.name}-${v.name}`);
  }
  return out;
}

/** A claim bound as far as the scheduler is concerned: bind-completed and a volume name. */
export const isClaimBound = (claim: PVC): boolean => Boolean(claim.spec?.volumeName) && claim.metadata.annotations?.[ANN_BIND_COMPLETED] !== undefined;
