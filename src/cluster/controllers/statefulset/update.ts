/**
 * updateStatefulSet (stateful_set_control.go): the pods in [start, end] are the replicas, other
 * ordinals are condemned. OrderedReady (monotonic) creates the lowest missing ordinal and waits
 * until every lower one is Running and Ready (and available) before going on, deletes condemned
 * pods from the highest ordinal down one at a time; Parallel acts on all at once. Then a
 * RollingUpdate deletes the highest-ordinal pod at or above the partition that is not at the
 * update revision (or up to maxUnavailable of them), which the next sync recreates at it.
 */
import type { K8sObject } from '../../client/types.ts';
import { slowStartBatch } from '../slow-start.ts';
import { scaledValue } from '../deployment/math.ts';
import type { ControllerRevision } from '../history.ts';
import { applyRevision } from '../history.ts';
import type { Pod } from '../pod-util.ts';
import {
  allowsBurst, identityMatches, inOrdinalRange, isCreated, isFailed, isPending, isRunningAndAvailable, isRunningAndReady, isSucceeded,
  isTerminating, isUnavailable, newVersionedPod, ordinalOf, podRevision, replicasOf, startOrdinal, storageMatches,
} from './identity.ts';
import {
  claimIsStale, claimsMatchPolicy, createMissingClaims, createStatefulPod, deleteStatefulPod, updateClaimsForPolicy, updateStatefulPod,
  type PodControl,
} from './pod-control.ts';
import { computeStatus, type SetStatus } from './status.ts';

export interface UpdateContext extends PodControl {
  now: () => number;
}

/** Runs fn over the pods: in order stopping at the first that says stop (monotonic), or all in slow-start batches. */
async function runForAll(n: number, fn: (i: number) => Promise<boolean>, monotonic: boolean): Promise<boolean> {
  if (monotonic) {
    for (let i = 0; i < n; i++) if (await fn(i)) return true;
    return false;
  }
  let next = 0;
  const { error } = await slowStartBatch(n, 1, async () => {
    await fn(next++);
  });
  if (error !== undefined) throw error;
  return false;
}

export interface UpdateResult {
  status: SetStatus;
  error?: unknown;
}

export async function updateStatefulSet(ctx: UpdateContext, set: K8sObject, current: ControllerRevision, update: ControllerRevision, collisionCount: number, pods: readonly Pod[]): Promise<UpdateResult> {
  const now = ctx.now();
  const minReady = set.spec?.minReadySeconds ?? 0;
  const currentSet = applyRevision(set, current);
  const updateSet = applyRevision(set, update);
  const base = { observedGeneration: set.metadata.generation, currentRevision: current.metadata.name!, updateRevision: update.metadata.name!, collisionCount };
  const statusOf = (...lists: Pod[][]): SetStatus => ({ ...base, ...computeStatus(lists.flat(), minReady, now, current.metadata.name!, update.metadata.name!) });

  const start = startOrdinal(set);
  const replicas: Pod[] = new Array(replicasOf(set));
  const condemned: Pod[] = [];
  for (const pod of pods) {
    if (inOrdinalRange(pod, set)) replicas[ordinalOf(pod) - start] = pod;
    else if (ordinalOf(pod) >= 0) condemned.push(pod);
  }
  for (let i = 0; i < replicas.length; i++) {
    replicas[i] ??= newVersionedPod(currentSet, updateSet, current.metadata.name!, update.metadata.name!, start + i);
  }
  condemned.sort((a, b) => ordinalOf(b) - ordinalOf(a));
  const firstUnhealthy = replicas.find((p) => isUnavailable(p, minReady, now)) ?? [...condemned].reverse().find((p) => isUnavailable(p, minReady, now));

  if (set.metadata.deletionTimestamp) return { status: statusOf([...pods]) };
  const monotonic = !allowsBurst(set);
  const done = (error?: unknown): UpdateResult => ({ status: statusOf(replicas.filter(isCreated), condemned), error });

  const processReplica = async (i: number): Promise<boolean> => {
    const pod = replicas[i]!;
    // A finished pod is replaced, whatever its exit: the next sync creates it anew once it is gone.
    if (isCreated(pod) && (isFailed(pod) || isSucceeded(pod))) {
      if (!isTerminating(pod)) await deleteStatefulPod(ctx, set, pod);
      return true;
    }
    if (!isCreated(pod)) {
      if (claimIsStale(ctx, set, pod)) return true;
      const created = await createStatefulPod(ctx, set, pod);
      if (monotonic || !created) return true;
      return false;
    }
    if (isPending(pod)) await createMissingClaims(ctx, set, pod);
    if (isTerminating(pod) && monotonic) return true;
    if (!isRunningAndReady(pod) && monotonic) return true;
    if (!isRunningAndAvailable(pod, minReady, now) && monotonic) return true;
    if (identityMatches(set, pod) && storageMatches(set, pod) && claimsMatchPolicy(ctx, updateSet, pod)) return false;
    await updateStatefulPod(ctx, updateSet, pod);
    return false;
  };
  try {
    if (await runForAll(replicas.length, processReplica, monotonic)) return done();
    const fixClaims = async (i: number): Promise<boolean> => {
      if (!claimsMatchPolicy(ctx, updateSet, condemned[i]!)) await updateClaimsForPolicy(ctx, updateSet, condemned[i]!);
      return false;
    };
    if (await runForAll(condemned.length, fixClaims, monotonic)) return done();
    const processCondemned = async (i: number): Promise<boolean> => {
      const pod = condemned[i]!;
      if (isTerminating(pod)) return monotonic;
      if (monotonic && pod !== firstUnhealthy && (!isRunningAndReady(pod) || !isRunningAndAvailable(pod, minReady, now))) return true;
      await deleteStatefulPod(ctx, set, pod);
      return true;
    };
    if (await runForAll(condemned.length, processCondemned, monotonic)) return done();
  } catch (err) {
    return done(err);
  }

  const status = statusOf(replicas.filter(isCreated), condemned);
  if (set.spec?.updateStrategy?.type === 'OnDelete') return { status };
  try {
    await rollingUpdate(ctx, set, replicas, update, status, minReady, now);
  } catch (err) {
    return { status, error: err };
  }
  return { status };
}

/**
 * The destructive part of RollingUpdate. Without maxUnavailable: the highest-ordinal outdated pod
 * at or above the partition is deleted, and nothing more happens while a pod on the way is
 * unavailable. With maxUnavailable (the MaxUnavailableStatefulSet path): up to maxUnavailable
 * minus the unavailable count are deleted, from the highest ordinal down.
 */
async function rollingUpdate(ctx: UpdateContext, set: K8sObject, replicas: Pod[], update: ControllerRevision, status: SetStatus, minReady: number, now: number): Promise<void> {
  const ru = set.spec?.updateStrategy?.rollingUpdate;
  const partition = ru?.partition ?? 0;
  const outdated = (p: Pod) => podRevision(p) !== update.metadata.name && !isTerminating(p);
  if (ru?.maxUnavailable === undefined || ru?.maxUnavailable === null) {
    for (let target = replicas.length - 1; target >= partition; target--) {
      const pod = replicas[target]!;
      if (outdated(pod)) {
        await deleteStatefulPod(ctx, set, pod);
        status.currentReplicas--;
        return;
      }
      if (isUnavailable(pod, minReady, now)) return;
    }
    return;
  }
  // getStatefulSetMaxUnavailable: rounded down, at least one.
  const maxUnavailable = Math.max(1, scaledValue(ru.maxUnavailable, replicas.length, false));
  const unavailable = replicas.filter((p) => isUnavailable(p, minReady, now)).length;
  if (unavailable > maxUnavailable) return;
  let budget = maxUnavailable - unavailable;
  for (let target = replicas.length - 1; target >= partition && budget > 0; target--) {
    if (!outdated(replicas[target]!)) continue;
    await deleteStatefulPod(ctx, set, replicas[target]!);
    budget--;
    status.currentReplicas--;
  }
}
