/**
 * Which surplus pods a ReplicaSet deletes first: upstream's ActivePodsWithRanks.Less
 * (pkg/controller/controller_utils.go) with PodDeletionCost and LogarithmicScaleDown on, as in
 * 1.33. The rank of a pod is the number of active related pods on its node ("doubled up" first).
 */
import { isPodActive, isPodReady, parseTime, podReadyTime, type Pod } from './pod-util.ts';
import { hasInvalidDeletionCost, POD_DELETION_COST } from '../../api/validation/core/deletion-cost.ts';

const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function phaseOrdinal(pod: Pod): number {
  return PHASE_ORDINAL[pod.status?.phase ?? ''] ?? 0;
}

/** helper.GetDeletionCostFromPodAnnotations: an int32, 0 when absent or invalid ("+10" and "008" are). */
function deletionCost(pod: Pod): number {
  const v = pod.metadata.annotations?.[POD_DELETION_COST];
  return typeof v === 'string' && !hasInvalidDeletionCost(pod.metadata.annotations) ? Number(v) : 0;
}

function maxRestarts(pod: Pod): number {
  let m = 0;
  for (const c of pod.status?.containerStatuses ?? []) m = Math.max(m, Number(c?.restartCount) || 0);
  return m;
}

/** afterOrZero: the unknown time first, then the later one. */
function afterOrZero(t1: number | undefined, t2: number | undefined): boolean {
  if (t1 === undefined || t2 === undefined) return t1 === undefined;
  return t1 > t2;
}

/** Go's int64(math.Log2(float64(duration in ns))), -1 for a time not in the past. */
function logRank(t: number, now: number): number {
  const d = (now - t) * 1e6;
  return d > 0 ? Math.trunc(Math.log2(d)) : -1;
}

function compareTimes(t1: number | undefined, t2: number | undefined, now: number, uid1: string, uid2: string): boolean {
  if (t1 === undefined || t2 === undefined) return afterOrZero(t1, t2);
  const diff = logRank(t1, now) - logRank(t2, now);
  if (diff === 0) return uid1 < uid2;
  return diff < 0;
}

interface Ranked {
  pod: Pod;
  rank: number;
}

/** True when a should be deleted before b. */
function less(a: Ranked, b: Ranked, now: number): boolean {
  const na = a.pod.spec?.nodeName ?? '';
  const nb = b.pod.spec?.nodeName ?? '';
  if (na !== nb && (na === '' || nb === '')) return na === '';
  const pa = phaseOrdinal(a.pod);
  const pb = phaseOrdinal(b.pod);
  if (pa !== pb) return pa < pb;
  const ra = isPodReady(a.pod);
  const rb = isPodReady(b.pod);
  if (ra !== rb) return !ra;
  const ca = deletionCost(a.pod);
  const cb = deletionCost(b.pod);
  if (ca !== cb) return ca < cb;
  if (a.rank !== b.rank) return a.rank > b.rank;
  const uidA = a.pod.metadata.uid ?? '';
  const uidB = b.pod.metadata.uid ?? '';
  if (ra && rb) {
    const ta = podReadyTime(a.pod);
    const tb = podReadyTime(b.pod);
    if (ta !== tb) return compareTimes(ta, tb, now, uidA, uidB);
  }
  const xa = maxRestarts(a.pod);
  const xb = maxRestarts(b.pod);
  if (xa !== xb) return xa > xb;
  const ka = parseTime(a.pod.metadata.creationTimestamp);
  const kb = parseTime(b.pod.metadata.creationTimestamp);
  if (ka !== kb) return compareTimes(ka, kb, now, uidA, uidB);
  return false;
}

/**
 * getPodsToDelete: the `diff` pods to delete out of `pods`, ranked against `related` (the pods of
 * every ReplicaSet with the same owner, so a rollout spreads evenly over nodes).
 */
export function podsToDelete(pods: readonly Pod[], related: readonly Pod[], diff: number, nowMs: number): Pod[] {
  if (diff >= pods.length) return [...pods];
  const onNode = new Map<string, number>();
  for (const p of related) {
    if (!isPodActive(p)) continue;
    const n = p.spec?.nodeName ?? '';
    onNode.set(n, (onNode.get(n) ?? 0) + 1);
  }
  const ranked = pods.map((pod) => ({ pod, rank: onNode.get(pod.spec?.nodeName ?? '') ?? 0 }));
  ranked.sort((a, b) => (less(a, b, nowMs) ? -1 : less(b, a, nowMs) ? 1 : 0));
  return ranked.slice(0, diff).map((r) => r.pod);
}
