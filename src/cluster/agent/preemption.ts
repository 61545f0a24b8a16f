/**
 * The kubelet's critical pod admission (pkg/kubelet/preemption CriticalPodAdmissionHandler): a
 * critical pod (priority at or above 2000000000) that fails admission only because the node lacks
 * pods, cpu or memory is admitted after pods it may preempt are killed. Which ones is upstream's
 * getPodsToPreempt: the preemptable pods grouped by priority, then QoS class (BestEffort, Burstable,
 * Guaranteed), least important first; from the most important group down, each group gives the
 * fewest pods that cover what the groups below it cannot, picked one at a time by "distance" (the
 * squared fraction of each requirement a pod leaves uncovered), the smaller request (memory, then
 * cpu) winning a tie.
 *
 * Victims get a Warning event Preempting "Preempted in order to admit critical pod", and are killed
 * with their own grace period and left Failed with that reason and message and a DisruptionTarget
 * condition (TerminationByKubelet, "Pod was preempted by Kubelet to accommodate a critical pod.").
 * When no set of pods frees enough, the critical pod is rejected with UnexpectedAdmissionError.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isCriticalPod } from './eviction/local-storage-limits.ts';
import { podQos } from './runtime/cgroup-resources.ts';
import { podRequest } from './pod-admission.ts';

export const PREEMPTION_REASON = 'Preempting';
export const PREEMPTION_MESSAGE = 'Preempted in order to admit critical pod';
export const PREEMPTION_CONDITION_MESSAGE = 'Pod was preempted by Kubelet to accommodate a critical pod.';

/** What the pod is short of: requested − (capacity − used) of one resource (InsufficientResourceError.GetInsufficientAmount). */
export interface Requirement {
  resource: string;
  quantity: bigint;
}

/** resource.GetResourceRequest: pods count one each; cpu in millicores; memory in bytes. */
const requestOf = (pod: Pod, resource: string): bigint => (resource === 'pods' ? 1n : podRequest(pod, resource));

/** kubetypes.Preemptable: a critical pod preempts any other; otherwise a higher priority a lower one, both set. */
export function preemptable(preemptor: Pod, preemptee: Pod): boolean {
  if (isCriticalPod(preemptor) && !isCriticalPod(preemptee)) return true;
  const a = preemptor.spec?.priority;
  const b = preemptee.spec?.priority;
  return a !== undefined && a !== null && b !== undefined && b !== null && a > b;
}

const QOS_RANK: Record<string, number> = { BestEffort: 1, Burstable: 2, Guaranteed: 3 };
const qosOf = (pod: Pod): string => (pod.spec ? podQos(pod.spec) : 'BestEffort');

function subtract(reqs: readonly Requirement[], pods: readonly Pod[]): Requirement[] {
  const out: Requirement[] = [];
  for (const r of reqs) {
    let left = r.quantity;
    for (const p of pods) {
      left -= requestOf(p, r.resource);
      if (left <= 0n) break;
    }
    if (left > 0n) out.push({ resource: r.resource, quantity: left });
  }
  return out;
}

function distance(reqs: readonly Requirement[], pod: Pod): number {
  let d = 0;
  for (const r of reqs) {
    const remaining = r.quantity - requestOf(pod, r.resource);
    if (remaining > 0n) d += (Number(remaining) / Number(r.quantity)) ** 2;
  }
  return d;
}

function smallerRequest(a: Pod, b: Pod): boolean {
  for (const r of ['memory', 'cpu']) {
    const x = podRequest(a, r);
    const y = podRequest(b, r);
    if (x !== y) return x < y;
  }
  return true;
}

/** admissionRequirementList.toString. */
export const requirementsText = (reqs: readonly Requirement[]): string => `[${reqs.map((r) => `(res: ${r.resource}, q: ${r.quantity}), `).join('')}]`;

const unable = (reqs: readonly Requirement[]): Error => new Error(`no set of running pods found to reclaim resources: ${requirementsText(reqs)}`);

/** getPodsToPreemptByDistance: the pods of one group, nearest first, until nothing is required. */
function byDistance(group: readonly Pod[], requirements: readonly Requirement[]): Pod[] {
  const pods = [...group];
  const out: Pod[] = [];
  let reqs = [...requirements];
  while (reqs.length > 0) {
    if (pods.length === 0) throw unable(reqs);
    let best = reqs.length + 1;
    let at = 0;
    pods.forEach((p, i) => {
      const d = distance(reqs, p);
      if (d < best || (d === best && smallerRequest(p, pods[at]!))) {
        best = d;
        at = i;
      }
    });
    const chosen = pods[at]!;
    reqs = subtract(reqs, [chosen]);
    out.push(chosen);
    // As upstream: the last pod takes the chosen one's place.
    pods[at] = pods[pods.length - 1]!;
    pods.pop();
  }
  return out;
}

/** groupPodsByPriorityAndQOS: the pods `preemptor` may preempt, grouped, least important group first. */
export function preemptionGroups(preemptor: Pod, pods: readonly Pod[]): Pod[][] {
  const candidates = pods.filter((p) => preemptable(preemptor, p));
  candidates.sort((a, b) => (preemptable(a, b) ? 1 : preemptable(b, a) ? -1 : QOS_RANK[qosOf(a)]! - QOS_RANK[qosOf(b)]!));
  const groups: Pod[][] = [];
  for (const p of candidates) {
    const last = groups[groups.length - 1];
    const prev = last?.[last.length - 1];
    if (!last || !prev || preemptable(p, prev) || preemptable(prev, p) || qosOf(p) !== qosOf(prev)) groups.push([p]);
    else last.push(p);
  }
  return groups;
}

/** getPodsToPreempt: the pods to kill so that `requirements` are freed; throws when no set of them does. */
export function podsToPreempt(preemptor: Pod, pods: readonly Pod[], requirements: readonly Requirement[]): Pod[] {
  const groups = preemptionGroups(preemptor, pods);
  // remaining[i]: what is still required once every pod of the groups below i is gone.
  const remaining: Requirement[][] = [[...requirements]];
  for (let i = 0; i < groups.length; i++) remaining.push(subtract(remaining[i]!, groups[i]!));
  if (remaining[groups.length]!.length > 0) throw unable(remaining[groups.length]!);
  const chosen: Pod[] = [];
  for (let i = groups.length - 1; i >= 0; i--) chosen.push(...byDistance(groups[i]!, subtract(remaining[i]!, chosen)));
  return chosen;
}
