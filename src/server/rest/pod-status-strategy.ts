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
 *   drops resourceClaimStatuses unless the stored spec has resourceClaims.
 * The written status is not mutated in place (a patched status may share arrays with the stored
 * object); changed parts are copied.
 */
import type { K8sObject } from './objects.ts';

type Obj = Record<string, any>;

const STATUS_LISTS = ['containerStatuses', 'initContainerStatuses', 'ephemeralContainerStatuses'] as const;

function withoutAllocatedResourcesStatus(list: unknown): unknown {
  if (!Array.isArray(list) || !list.some((s: Obj) => s?.allocatedResourcesStatus !== undefined)) return list;
  return list.map((s: Obj) => {
    if (s?.allocatedResourcesStatus === undefined) return s;
    const { allocatedResourcesStatus: _dropped, ...rest } = s;
    return rest;
  });
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
    const list = withoutAllocatedResourcesStatus(st[f]);
    if (list !== st[f]) edit()[f] = list;
  }
  if (st.resourceClaimStatuses !== undefined && !(old.spec?.resourceClaims?.length > 0)) delete edit().resourceClaimStatuses;

  if (out) next.status = out;
}
