/**
 * manageJob (job_controller.go): deletes pods beyond what the Job wants (suspended: all of them)
 * or creates the missing ones in slow-start batches, after the pod failure backoff, with the
 * lowest pending completion indexes for an Indexed Job. Creation and deletion never happen in the
 * same sync; deletion wins.
 */
import type { ApiClient } from '../../client/types.ts';
import { isNotFound } from '../controller-ref.ts';
import type { EventRecorder } from '../events.ts';
import type { Expectations } from '../expectations.ts';
import { podsToDelete } from '../pod-ranking.ts';
import { isPodReady, type Pod } from '../pod-util.ts';
import { errorMessage } from '../replica-status.ts';
import { keyOf, PODS } from '../resources.ts';
import { slowStartBatch, SLOW_START_INITIAL_BATCH_SIZE } from '../slow-start.ts';
import { firstPendingIndexes, redundantIndexedPods, UNKNOWN_INDEX } from './indexed.ts';
import { JOBS, newJobPod, removeFinalizerPatch } from './job-pod.ts';
import { completionsOf, isIndexedJob, jobSuspended, onlyReplaceFailedPods, parallelismOf, type Job } from './job-util.ts';

/** MaxPodCreateDeletePerSync. */
export const MAX_POD_CREATE_DELETE_PER_SYNC = 500;

export interface ManageContext {
  client: ApiClient;
  recorder: EventRecorder;
  expectations: Expectations;
  key: string;
  now: number;
  job: Job;
  active: readonly Pod[];
  succeeded: number;
  succeededIndexes: ReadonlySet<number>;
  terminating: number;
  /** Milliseconds the pod failure backoff still holds creations back. */
  backoffRemaining: number;
  requeueAfter(ms: number): void;
}

export interface ManageResult {
  active: number;
  ready: number;
  terminating: number;
  error?: unknown;
}

/** deleteJobPods: drop the tracking finalizer (the pod is not counted) and delete. */
export async function deleteJobPods(ctx: ManageContext, pods: readonly Pod[]): Promise<{ deleted: number; deletedReady: number; error?: unknown }> {
  ctx.expectations.expectDeletions(ctx.key, pods.map((p) => keyOf(p)));
  let deleted = 0;
  let deletedReady = 0;
  let error: unknown;
  await Promise.all(pods.map(async (pod) => {
    const ns = pod.metadata.namespace ?? '';
    try {
      const patch = removeFinalizerPatch(pod);
      if (patch) await ctx.client.patch(PODS, ns, pod.metadata.name!, 'json', patch);
      await ctx.client.delete(PODS, ns, pod.metadata.name!);
      deleted++;
      if (isPodReady(pod)) deletedReady++;
      ctx.recorder.event(ctx.job, JOBS, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
    } catch (err) {
      ctx.expectations.deletionObserved(ctx.key, keyOf(pod));
      if (isNotFound(err)) return;
      error ??= err;
      ctx.recorder.event(ctx.job, JOBS, 'Warning', 'FailedDelete', `Error deleting: ${errorMessage(err)}`);
    }
  }));
  return { deleted, deletedReady, error };
}

/** activePodsForRemoval: redundant indexed pods first, then by deletion ranking. */
function podsForRemoval(ctx: ManageContext, rmAtLeast: number): Pod[] {
  const { job, active } = ctx;
  let rm: Pod[] = [];
  let rest: readonly Pod[] = active;
  if (isIndexedJob(job)) {
    rm = redundantIndexedPods(active, ctx.succeededIndexes, completionsOf(job) ?? 0);
    const set = new Set(rm);
    rest = active.filter((p) => !set.has(p));
  }
  if (rm.length < rmAtLeast) rm.push(...podsToDelete(rest, rest, rmAtLeast - rm.length, ctx.now));
  return rm;
}

export async function manageJob(ctx: ManageContext): Promise<ManageResult> {
  const { job } = ctx;
  let active = ctx.active.length;
  let ready = ctx.active.filter(isPodReady).length;
  let terminating = ctx.terminating;
  const remove = async (pods: Pod[]): Promise<ManageResult> => {
    const r = await deleteJobPods(ctx, pods);
    return { active: active - r.deleted, ready: ready - r.deletedReady, terminating: terminating + r.deleted, error: r.error };
  };
  if (jobSuspended(job)) return remove([...ctx.active]);

  const parallelism = parallelismOf(job);
  const completions = completionsOf(job);
  let want: number;
  if (completions === undefined) want = ctx.succeeded > 0 ? active : parallelism;
  else want = Math.max(0, Math.min(completions - ctx.succeeded, parallelism));

  const toDelete = podsForRemoval(ctx, Math.max(0, active - want)).slice(0, MAX_POD_CREATE_DELETE_PER_SYNC);
  if (toDelete.length > 0) return remove(toDelete);

  // With onlyReplaceFailedPods a terminating pod still holds its place until it has failed.
  const holding = onlyReplaceFailedPods(job) ? terminating : 0;
  let diff = want - holding - active;
  if (diff <= 0) return { active, ready, terminating };
  if (ctx.backoffRemaining > 0) {
    ctx.requeueAfter(ctx.backoffRemaining);
    return { active, ready, terminating };
  }
  diff = Math.min(diff, MAX_POD_CREATE_DELETE_PER_SYNC);
  let indexes: number[] = [];
  if (isIndexedJob(job)) {
    indexes = firstPendingIndexes(ctx.active, ctx.succeededIndexes, diff, completions ?? 0);
    diff = indexes.length;
  }
  if (diff === 0) return { active, ready, terminating };
  ctx.expectations.expectCreations(ctx.key, diff);
  let next = 0;
  const ns = job.metadata.namespace ?? '';
  const { successes, error } = await slowStartBatch(diff, SLOW_START_INITIAL_BATCH_SIZE, async () => {
    const index = indexes.length > 0 ? indexes[next++]! : UNKNOWN_INDEX;
    try {
      const pod = await ctx.client.create<Pod>(PODS, ns, newJobPod(job, index));
      ctx.recorder.event(job, JOBS, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`);
    } catch (err) {
      ctx.recorder.event(job, JOBS, 'Warning', 'FailedCreate', `Error creating: ${errorMessage(err)}`);
      throw err;
    }
  });
  // Creations that failed or were never tried will not be observed.
  for (let i = successes; i < diff; i++) ctx.expectations.creationObserved(ctx.key);
  active += successes;
  return { active, ready, terminating, error };
}
