/**
 * What upstream 1.33 does to a pods/status write before ValidatePodStatusUpdate runs, beyond
 * keeping the stored spec (prepareForUpdate):
 * - podStatusStrategy.PrepareForUpdate backfills an empty status.qosClass from the stored pod
 *   (the class is immutable; old kubelets dropped it);
 * - the v1 -> internal conversion (Convert_v1_PodStatus_To_core_PodStatus) makes podIP
 *   authoritative: podIPs becomes [podIP] when podIP is set and podIPs is empty or starts with
 *   another address; the way back sets podIP to podIPs[0];
 * - dropDisabledPodStatusFields at 1.33's gate defaults: ResourceHealthStatus (alpha, off) drops
 *   every container status's allocatedResourcesStatus; DynamicResourceAllocation (beta, off)
 *   drops resourceClaimStatuses unless the stored spec has resourceClaims;
 *   PodObservedGenerationTracking (alpha, off) drops status.observedGeneration and every
 *   condition's observedGeneration unless the stored status has a non-zero one of them.
 * The written status is not mutated in place (a patched status may share arrays with the stored
 * object); changed parts are copied.
 */
import type { K8sObject } from './objects.ts';

type Obj = Record<string, any>;

const STATUS_LISTS = ['containerStatuses', 'initContainerStatuses', 'ephemeralContainerStatuses'] as const;

/** The list with `field` removed from each entry; the list itself when no entry has it. */
function withoutField(list: unknown, field: string): unknown {
  if (!Array.isArray(list) || !list.some((s: Obj) => s?.[field] !== undefined)) return list;
  return list.map((s: Obj) => {
    if (s?.[field] === undefined) return s;
    const { [field]: _dropped, ...rest } = s;
    return rest;
  });
}

/** podObservedGenerationTrackingInUse: a non-zero status or condition observedGeneration. */
function observedGenerationInUse(st: Obj | undefined): boolean {
  if (!st || typeof st !== 'object') return false;
  if (st.observedGeneration) return true;
  return Array.isArray(st.conditions) && st.conditions.some((c: Obj) => c?.observedGeneration);
}

export function preparePodStatusUpdate(next: K8sObject, old: K8sObject): void {
  const st: Obj | undefined = next.status;
  if (!st || typeof st !== 'object') return;
  let out: Obj | undefined;
  const edit = (): Obj => (out ??= { ...st });

  if (!st.qosClass && old.status?.qosClass) edit().qosClass = old.status.qosClass;

  const podIP = typeof st.podIP === 'string' ? st.podIP : '';
  const podIPs: Obj[] | undefined = Array.isArray(st.podIPs) ? st.podIPs : undefined;
  if (podIP && (!podIPs || podIPs.length === 0 || podIPs[0]?.ip !== podIP)) edit().podIPs = [{ ip: podIP }];
  else if (!podIP && podIPs && podIPs.length > 0 && typeof podIPs[0]?.ip === 'string' && podIPs[0].ip) edit().podIP = podIPs[0].ip;

  for (const f of STATUS_LISTS) {
    const list = withoutField(st[f], 'allocatedResourcesStatus');
    if (list !== st[f]) edit()[f] = list;
  }
  if (st.resourceClaimStatuses !== undefined && !(old.spec?.resourceClaims?.length > 0)) delete edit().resourceClaimStatuses;
  if (!observedGenerationInUse(old.status)) {
    if (st.observedGeneration !== undefined) delete edit().observedGeneration;
    const conditions = withoutField(st.conditions, 'observedGeneration');
    if (conditions !== st.conditions) edit().conditions = conditions;
  }

  if (out) next.status = out;
}
