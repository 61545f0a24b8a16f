/**
 * The storage object in-use protection controllers (pkg/controller/volume/pvcprotection and
 * pvprotection), the other half of the StorageObjectInUseProtection admission plugin:
 *  - persistentvolumeclaim-protection-controller (as system:serviceaccount:kube-system:pvc-protection-controller) removes kubernetes.io/pvc-protection from a claim being deleted once
 *    no scheduled pod uses it (a pod bound to a node naming it in a persistentVolumeClaim volume, or
 *    a generic ephemeral volume whose claim it is, unless that pod is shut down: deleted with grace
 *    period 0). It asks its pod cache first and, when the cache knows no user, the API server
 *    (a live list of the namespace's pods: the cache may not have a new pod yet).
 *  - persistentvolume-protection-controller (as pv-protection-controller) removes kubernetes.io/pv-protection from a volume being deleted once
 *    its phase is not Bound.
 * Both add their finalizer to an object not being deleted that lacks it (one created while the
 * admission plugin was off). Each writes with a PUT of the cached object (its resourceVersion as
 * the precondition); a Conflict is retried by the queue.
 */
import { resources } from '../../client/resources.ts';
import type { Controller, Informer, K8sObject } from '../../client/types.ts';
import { newQueueController, type WorkloadControllerDeps } from '../queue-controller.ts';
import { keyOf, splitKey } from '../resources.ts';

/** Upstream's controller names (cmd/kube-controller-manager/names); their identities are pvc-protection-controller and pv-protection-controller. */
export const PVC_PROTECTION_CONTROLLER = 'persistentvolumeclaim-protection-controller';
export const PV_PROTECTION_CONTROLLER = 'persistentvolume-protection-controller';
export const PVC_PROTECTION_FINALIZER = 'kubernetes.io/pvc-protection';
export const PV_PROTECTION_FINALIZER = 'kubernetes.io/pv-protection';

const PVCS = resources.persistentvolumeclaims;
const PVS = resources.persistentvolumes;
const POD_PVC_INDEX = 'pod-pvc-index';

const finalizersOf = (o: K8sObject): string[] => (Array.isArray(o.metadata.finalizers) ? o.metadata.finalizers : []);
/** protectionutil.IsDeletionCandidate. */
const isDeletionCandidate = (o: K8sObject, f: string): boolean => !!o.metadata.deletionTimestamp && finalizersOf(o).includes(f);
/** protectionutil.NeedToAddFinalizer. */
const needToAddFinalizer = (o: K8sObject, f: string): boolean => !o.metadata.deletionTimestamp && !finalizersOf(o).includes(f);

function withFinalizers(o: K8sObject, finalizers: string[]): K8sObject {
  const next = structuredClone(o) as K8sObject;
  next.metadata.finalizers = finalizers;
  return next;
}

/** ephemeral.VolumeClaimName: <pod>-<volume>. */
const ephemeralClaimName = (pod: K8sObject, volumeName: string): string => `${pod.metadata.name}-${volumeName}`;

/** ephemeral.VolumeIsForPod: the claim's controller is the pod. */
const claimIsForPod = (pod: K8sObject, pvc: K8sObject): boolean => ((pvc.metadata.ownerReferences ?? []) as Array<{ uid?: string; controller?: boolean }>).some((r) => r.controller === true && r.uid === pod.metadata.uid);

/** podIsShutDown: deleted with grace period 0 (done on the node, or force-deleted). */
const podIsShutDown = (pod: K8sObject): boolean => !!pod.metadata.deletionTimestamp && pod.metadata.deletionGracePeriodSeconds === 0;

const notRunning = (statuses: unknown): boolean => ((Array.isArray(statuses) ? statuses : []) as Array<{ state?: { terminated?: unknown; waiting?: unknown } }>).every((s) => !!s.state?.terminated || !!s.state?.waiting);

/** volumeutil.IsPodTerminated. */
function isPodTerminated(pod: K8sObject): boolean {
  const st = pod.status ?? {};
  if (st.phase === 'Failed' || st.phase === 'Succeeded') return true;
  return !!pod.metadata.deletionTimestamp && notRunning(st.initContainerStatuses) && notRunning(st.containerStatuses) && notRunning(st.ephemeralContainerStatuses);
}

/** podUsesPVC: only a scheduled pod counts (the node agent will not start one on a claim being deleted). */
function podUsesPVC(pod: K8sObject, pvc: K8sObject): boolean {
  if (!pod.spec?.nodeName) return false;
  for (const v of pod.spec.volumes ?? []) {
    if (v?.persistentVolumeClaim && v.persistentVolumeClaim.claimName === pvc.metadata.name) return true;
    if (!podIsShutDown(pod) && v?.ephemeral && ephemeralClaimName(pod, v.name) === pvc.metadata.name && claimIsForPod(pod, pvc)) return true;
  }
  return false;
}

/** common.PodPVCIndexFunc: ns/claim for each claim a pod's volumes name. */
function podClaimKeys(pod: K8sObject): string[] {
  const out: string[] = [];
  for (const v of pod.spec?.volumes ?? []) {
    if (v?.persistentVolumeClaim?.claimName) out.push(`${pod.metadata.namespace}/${v.persistentVolumeClaim.claimName}`);
    else if (v?.ephemeral && v.name) out.push(`${pod.metadata.namespace}/${ephemeralClaimName(pod, v.name)}`);
  }
  return out;
}

const indexed = new WeakSet<object>();
function podsByClaim(pods: Informer<K8sObject>): (key: string) => K8sObject[] {
  if (!indexed.has(pods)) {
    pods.addIndexers({ [POD_PVC_INDEX]: podClaimKeys });
    indexed.add(pods);
  }
  return (key) => pods.byIndex(POD_PVC_INDEX, key);
}

export function newPvcProtectionController(d: WorkloadControllerDeps): Controller {
  const pvcs = d.informers.informer<K8sObject>(PVCS);
  const pods = d.informers.informer<K8sObject>(resources.pods);
  const byClaim = podsByClaim(pods);

  const pvcChanged = (pvc: K8sObject) => {
    if (needToAddFinalizer(pvc, PVC_PROTECTION_FINALIZER) || isDeletionCandidate(pvc, PVC_PROTECTION_FINALIZER)) d.queue.add(keyOf(pvc));
  };
  pvcs.addEventHandler({ add: pvcChanged, update: (_o, n) => pvcChanged(n) });

  /** enqueuePVCs: a pod that may have stopped blocking its claims (deleted, terminated or unscheduled). */
  const enqueueClaims = (pod: K8sObject, deleted: boolean) => {
    if (!deleted && !isPodTerminated(pod) && pod.spec?.nodeName) return;
    for (const k of podClaimKeys(pod)) d.queue.add(k);
  };
  pods.addEventHandler({
    add: (p) => enqueueClaims(p, false),
    update: (old, p) => {
      enqueueClaims(p, false);
      // A deletion and re-creation under the same name seen as one update: the old pod's claims too.
      if (old.metadata.uid !== p.metadata.uid) enqueueClaims(old, true);
    },
    delete: (p) => enqueueClaims(p, true),
  });

  const isBeingUsed = async (pvc: K8sObject): Promise<boolean> => {
    if (byClaim(keyOf(pvc)).some((p) => podUsesPVC(p, pvc))) return true;
    const live = await d.client.list<K8sObject>(resources.pods, pvc.metadata.namespace ?? '');
    return live.items.some((p) => podUsesPVC(p, pvc));
  };

  const sync = async (key: string): Promise<void> => {
    const [ns, name] = splitKey(key);
    const pvc = pvcs.get(ns, name);
    if (!pvc) return;
    if (isDeletionCandidate(pvc, PVC_PROTECTION_FINALIZER)) {
      if (!(await isBeingUsed(pvc))) {
        await d.client.update(PVCS, ns, withFinalizers(pvc, finalizersOf(pvc).filter((f) => f !== PVC_PROTECTION_FINALIZER)));
        return;
      }
    }
    if (needToAddFinalizer(pvc, PVC_PROTECTION_FINALIZER)) await d.client.update(PVCS, ns, withFinalizers(pvc, [...finalizersOf(pvc), PVC_PROTECTION_FINALIZER]));
  };

  return newQueueController({ name: PVC_PROTECTION_CONTROLLER, queue: d.queue, waitFor: [pvcs, pods], sync, log: d.log });
}

export function newPvProtectionController(d: WorkloadControllerDeps): Controller {
  const pvs = d.informers.informer<K8sObject>(PVS);
  const pvChanged = (pv: K8sObject) => {
    if (needToAddFinalizer(pv, PV_PROTECTION_FINALIZER) || isDeletionCandidate(pv, PV_PROTECTION_FINALIZER)) d.queue.add(pv.metadata.name ?? '');
  };
  pvs.addEventHandler({ add: pvChanged, update: (_o, n) => pvChanged(n) });

  const sync = async (name: string): Promise<void> => {
    const pv = pvs.get('', name);
    if (!pv) return;
    // isBeingUsed: the binder keeps a volume Bound while a claim holds it.
    if (isDeletionCandidate(pv, PV_PROTECTION_FINALIZER) && pv.status?.phase !== 'Bound') {
      await d.client.update(PVS, '', withFinalizers(pv, finalizersOf(pv).filter((f) => f !== PV_PROTECTION_FINALIZER)));
      return;
    }
    if (needToAddFinalizer(pv, PV_PROTECTION_FINALIZER)) await d.client.update(PVS, '', withFinalizers(pv, [...finalizersOf(pv), PV_PROTECTION_FINALIZER]));
  };

  return newQueueController({ name: PV_PROTECTION_CONTROLLER, queue: d.queue, waitFor: [pvs], sync, log: d.log });
}
