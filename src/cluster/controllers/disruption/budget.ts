/**
 * A PodDisruptionBudget's numbers (pkg/controller/disruption/disruption.go getExpectedPodCount,
 * countHealthyPods, buildDisruptedPodMap, updatePdbStatus) and its DisruptionAllowed condition
 * (pkg/apis/policy/helper UpdateDisruptionAllowedCondition). Pure; times in milliseconds.
 */
import type { K8sObject } from '../../client/types.ts';
import { formatTime, isPodReady, parseTime, type Pod } from '../pod-util.ts';

/** How long an eviction's entry in status.disruptedPods waits for the pod's deletion. */
export const DELETION_TIMEOUT_MS = 2 * 60 * 1000;

/** intstr.GetScaledValueFromIntOrPercent with rounding up. */
export function scaledValue(v: number | string, total: number): number {
  if (typeof v === 'number') return v;
  if (!v.endsWith('%')) throw new Error('invalid value for IntOrString: invalid type: string is not a percentage');
  const n = v.slice(0, -1);
  if (!/^[+-]?\d+$/.test(n)) throw new Error(`invalid value for IntOrString: invalid value ${JSON.stringify(v)}: strconv.Atoi: parsing ${JSON.stringify(n)}: invalid syntax`);
  return Math.ceil((Number(n) * total) / 100);
}

export interface Counts {
  expectedCount: number;
  desiredHealthy: number;
}

/**
 * expectedPods and desiredHealthy: an integer minAvailable counts the selected pods; a percentage
 * or a maxUnavailable counts the scale of the pods' controllers (`expectedScale`, asked only then).
 */
export async function expectedCounts(pdb: K8sObject, pods: readonly Pod[], expectedScale: () => Promise<number>): Promise<Counts> {
  const spec = pdb.spec ?? {};
  if (spec.maxUnavailable !== undefined && spec.maxUnavailable !== null) {
    const expectedCount = await expectedScale();
    return { expectedCount, desiredHealthy: Math.max(0, expectedCount - scaledValue(spec.maxUnavailable, expectedCount)) };
  }
  if (spec.minAvailable !== undefined && spec.minAvailable !== null) {
    if (typeof spec.minAvailable === 'number') return { expectedCount: pods.length, desiredHealthy: spec.minAvailable };
    const expectedCount = await expectedScale();
    return { expectedCount, desiredHealthy: scaledValue(spec.minAvailable, expectedCount) };
  }
  return { expectedCount: 0, desiredHealthy: 0 };
}

/**
 * The disruptedPods entries still awaited: pods that exist, are not being deleted yet and whose
 * eviction is less than 2 minutes old; `recheckAt` is when the earliest of those expires.
 */
export function disruptedPodMap(pdb: K8sObject, pods: readonly Pod[], now: number): { disrupted: Record<string, string>; recheckAt?: number; notDeleted: Pod[] } {
  const recorded: Record<string, string> = pdb.status?.disruptedPods ?? {};
  const disrupted: Record<string, string> = {};
  const notDeleted: Pod[] = [];
  let recheckAt: number | undefined;
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp) continue;
    const at = recorded[pod.metadata.name ?? ''];
    if (at === undefined) continue;
    const expires = (parseTime(at) ?? 0) + DELETION_TIMEOUT_MS;
    if (expires < now) {
      notDeleted.push(pod);
      continue;
    }
    if (recheckAt === undefined || expires < recheckAt) recheckAt = expires;
    disrupted[pod.metadata.name ?? ''] = at;
  }
  return { disrupted, recheckAt, notDeleted };
}

/** Ready pods that are neither being deleted nor just evicted. */
export function countHealthy(pods: readonly Pod[], disrupted: Record<string, string>, now: number): number {
  let n = 0;
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp) continue;
    const at = disrupted[pod.metadata.name ?? ''];
    if (at !== undefined && (parseTime(at) ?? 0) + DELETION_TIMEOUT_MS > now) continue;
    if (isPodReady(pod)) n++;
  }
  return n;
}

export type Condition = { type: string; status: string; observedGeneration?: number; lastTransitionTime?: string; reason: string; message: string };

/** apimeta.SetStatusCondition: lastTransitionTime moves only when the status does. */
export function setCondition(conditions: readonly Condition[] | undefined, c: Omit<Condition, 'lastTransitionTime'>, now: number): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((x) => x.type === c.type);
  if (i < 0) return [...list, { ...c, lastTransitionTime: formatTime(now) }];
  const prev = list[i]!;
  list[i] = { ...prev, ...c, lastTransitionTime: prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : formatTime(now) };
  return list;
}

/** pdbhelper.UpdateDisruptionAllowedCondition. */
export function disruptionAllowedCondition(status: Record<string, any>, now: number): Condition[] {
  const allowed = (status.disruptionsAllowed ?? 0) > 0;
  return setCondition(status.conditions, {
    type: 'DisruptionAllowed',
    status: allowed ? 'True' : 'False',
    observedGeneration: status.observedGeneration,
    reason: allowed ? 'SufficientPods' : 'InsufficientPods',
    message: '',
  }, now);
}

/** pdbhelper.ConditionsAreUpToDate. */
export function conditionsUpToDate(status: Record<string, any>): boolean {
  const c = (status.conditions ?? []).find((x: Condition) => x.type === 'DisruptionAllowed');
  if (!c || c.observedGeneration !== status.observedGeneration) return false;
  return (status.disruptionsAllowed ?? 0) > 0 ? c.status === 'True' && c.reason === 'SufficientPods' : c.status === 'False' && c.reason === 'InsufficientPods';
}
