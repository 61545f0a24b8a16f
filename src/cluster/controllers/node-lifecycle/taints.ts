/**
 * The taints the node lifecycle controller owns (k8s.io/api/core/v1 well-known taints) and how it
 * writes them: upstream's SwapNodeControllerTaint, a whole spec.taints list written with the
 * Node's resourceVersion as precondition, so a concurrent change by someone else is never lost
 * (a Conflict re-reads the Node and tries again, over upstream's UpdateTaintBackoff).
 */
import type { ApiClient, K8sObject } from '../../client/types.ts';
import { resources } from '../../client/resources.ts';
import { retryOnConflict, type Backoff } from '../../client/retry.ts';
import { formatTime } from '../pod-util.ts';

export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

export interface Taint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: string;
}

/** nodeConditionToTaintKeyStatusMap: condition type → status → NoSchedule taint key. */
const CONDITION_TAINTS: Readonly<Record<string, Readonly<Record<string, string>>>> = Object.freeze({
  Ready: { False: TAINT_NOT_READY, Unknown: TAINT_UNREACHABLE },
  MemoryPressure: { True: 'node.kubernetes.io/memory-pressure' },
  DiskPressure: { True: 'node.kubernetes.io/disk-pressure' },
  NetworkUnavailable: { True: 'node.kubernetes.io/network-unavailable' },
  PIDPressure: { True: 'node.kubernetes.io/pid-pressure' },
});
const CONDITION_TAINT_KEYS = new Set(Object.values(CONDITION_TAINTS).flatMap((m) => Object.values(m)));

export const NOT_READY_NO_EXECUTE: Taint = Object.freeze({ key: TAINT_NOT_READY, effect: 'NoExecute' });
export const UNREACHABLE_NO_EXECUTE: Taint = Object.freeze({ key: TAINT_UNREACHABLE, effect: 'NoExecute' });

export const taintsOf = (node: K8sObject): Taint[] => (Array.isArray(node.spec?.taints) ? node.spec.taints : []);

/** taint.MatchTaint: same key and effect. */
export const sameTaint = (a: Taint, b: Taint): boolean => a.key === b.key && a.effect === b.effect;

export const hasTaint = (node: K8sObject, t: Taint): boolean => taintsOf(node).some((x) => sameTaint(x, t));

/**
 * doNoScheduleTaintingPass: the NoSchedule taints the Node's conditions and spec.unschedulable
 * call for, against the controller-owned NoSchedule taints it has.
 */
export function noScheduleDiff(node: K8sObject): { add: Taint[]; remove: Taint[] } {
  const want: Taint[] = [];
  for (const c of node.status?.conditions ?? []) {
    const key = CONDITION_TAINTS[c?.type]?.[c?.status];
    if (key) want.push({ key, effect: 'NoSchedule' });
  }
  if (node.spec?.unschedulable) want.push({ key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule' });
  const have = taintsOf(node).filter((t) => t.effect === 'NoSchedule' && (t.key === TAINT_UNSCHEDULABLE || CONDITION_TAINT_KEYS.has(t.key)));
  return {
    add: want.filter((w) => !have.some((h) => sameTaint(h, w))),
    remove: have.filter((h) => !want.some((w) => sameTaint(h, w))),
  };
}

/** controller.UpdateTaintBackoff (k8s.io/kubernetes/pkg/controller): 5 steps, 100 ms, jitter 1.0. */
const UPDATE_TAINT_BACKOFF: Backoff = Object.freeze({ steps: 5, durationMs: 100, factor: 0, jitter: 1.0 });

/**
 * Adds `add` (stamped timeAdded = now, as upstream) and removes `remove` from the Node's taints.
 * Answers the Node as written, or as it was when there was nothing to change.
 */
export async function swapTaints(client: ApiClient, node: K8sObject, add: readonly Taint[], remove: readonly Taint[], now: () => number): Promise<K8sObject> {
  return retryOnConflict(UPDATE_TAINT_BACKOFF, async (attempt) => {
    // The Node given first (upstream's first try reads the cache); after a Conflict, the API's.
    const cur = attempt === 1 ? node : await client.get<K8sObject>(resources.nodes, '', node.metadata.name ?? '');
    const kept = taintsOf(cur).filter((t) => !remove.some((r) => sameTaint(r, t)));
    const added = add.filter((a) => !kept.some((t) => sameTaint(t, a))).map((a) => ({ key: a.key, ...(a.value ? { value: a.value } : {}), effect: a.effect, timeAdded: formatTime(now()) }));
    const next = [...kept, ...added];
    if (next.length === taintsOf(cur).length && added.length === 0) return cur;
    return client.patch<K8sObject>(resources.nodes, '', cur.metadata.name ?? '', 'merge', {
      metadata: { resourceVersion: cur.metadata.resourceVersion },
      spec: { taints: next.length ? next : null },
    });
  });
}
