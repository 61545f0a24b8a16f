/**
 * trackJobStatusAndRemoveFinalizers (job_controller.go): finished pods are counted in three
 * steps, each safe to repeat after a crash: (1) their uids go into
 * status.uncountedTerminatedPods (written first), (2) their tracking finalizers are removed,
 * (3) uids whose pods no longer hold the finalizer move from the uncounted lists to
 * status.succeeded / status.failed. Only then, with no uncounted and no terminating pods, does
 * the interim condition (SuccessCriteriaMet / FailureTarget) become Complete / Failed.
 */
import type { ApiClient } from '../../client/types.ts';
import { isNotFound } from '../controller-ref.ts';
import type { EventRecorder } from '../events.ts';
import { formatTime, type Pod } from '../pod-util.ts';
import { completionIndexOf, formatIndexes, UNKNOWN_INDEX } from './indexed.ts';
import type { FinalizerExpectations } from './finalizer-expectations.ts';
import { JOBS, removeFinalizerPatch } from './job-pod.ts';
import { PODS as resourcePods } from '../resources.ts';
import { matchPodFailurePolicy } from './pod-failure-policy.ts';
import { ensureCondition, findCondition, hasTrackingFinalizer, isIndexedJob, isPodFailed, newCondition, type Job, type JobCondition } from './job-util.ts';

/** MaxUncountedPods: keeps the uid lists (and one sync's finalizer removals) small. */
export const MAX_UNCOUNTED_PODS = 500;

export interface TrackContext {
  client: ApiClient;
  recorder: EventRecorder;
  finalizers: FinalizerExpectations;
  key: string;
  now: number;
  /** A private copy of the Job; its status is rewritten here. */
  job: Job;
  pods: readonly Pod[];
  expectedRemoved: ReadonlySet<string>;
  /** The interim or final condition the sync decided on, if any. */
  finished?: JobCondition;
  prevIndexes: ReadonlySet<number>;
  succeededIndexes: Set<number>;
  terminating: number;
  /** Runs after the first status write (upstream commits the backoff record there). */
  onFlushed(): void;
}

interface Uncounted {
  succeeded?: string[];
  failed?: string[];
}

/** cleanUncountedPodsWithoutFinalizers: count the uids whose pods no longer hold the finalizer. */
function cleanUncounted(status: Record<string, any>, withFinalizer: ReadonlySet<string>): boolean {
  const u: Uncounted = status.uncountedTerminatedPods;
  let changed = false;
  for (const [list, counter] of [['succeeded', 'succeeded'], ['failed', 'failed']] as const) {
    const uids = u[list] ?? [];
    const keep = uids.filter((x) => withFinalizer.has(x));
    if (keep.length === uids.length) continue;
    changed = true;
    status[counter] = (status[counter] ?? 0) + uids.length - keep.length;
    if (keep.length > 0) u[list] = keep;
    else delete u[list];
  }
  return changed;
}

async function writeStatus(ctx: TrackContext): Promise<void> {
  const { job } = ctx;
  const updated = await ctx.client.update<Job>(JOBS, job.metadata.namespace ?? '', job, 'status');
  job.metadata = updated.metadata;
}

export async function trackJobStatus(ctx: TrackContext, needsFlushIn: boolean): Promise<void> {
  const { job } = ctx;
  const status = job.status;
  const indexed = isIndexedJob(job);
  const completions: number = job.spec?.completions ?? 0;
  const u: Uncounted = (status.uncountedTerminatedPods ??= {});
  const uncSucc = new Set(u.succeeded ?? []);
  const uncFail = new Set(u.failed ?? []);
  let needsFlush = needsFlushIn;
  const pods = indexed ? [...ctx.pods].sort((a, b) => completionIndexOf(a) - completionIndexOf(b)) : ctx.pods;
  const withFinalizer = new Set(pods.filter((p) => hasTrackingFinalizer(p) && !ctx.expectedRemoved.has(p.metadata.uid!)).map((p) => p.metadata.uid!));
  if (cleanUncounted(status, withFinalizer)) needsFlush = true;

  const toRemove: Pod[] = [];
  const newIndexes: number[] = [];
  let reachedMax = false;
  const finishedFailing = ctx.finished !== undefined && ctx.finished.type !== 'SuccessCriteriaMet' && ctx.finished.type !== 'Complete';
  for (const pod of pods) {
    const uid = pod.metadata.uid!;
    if (!hasTrackingFinalizer(pod) || ctx.expectedRemoved.has(uid)) continue;
    const failed = isPodFailed(pod, job);
    // canRemoveFinalizer: the Job is ending, or the pod is done.
    if (!(job.metadata.deletionTimestamp || ctx.finished || pod.status?.phase === 'Succeeded' || failed)) continue;
    toRemove.push(pod);
    if (pod.status?.phase === 'Succeeded' && !uncFail.has(uid)) {
      if (indexed) {
        const ix = completionIndexOf(pod);
        if (ix !== UNKNOWN_INDEX && ix < completions && !ctx.prevIndexes.has(ix)) newIndexes.push(ix);
      } else if (!uncSucc.has(uid)) {
        (u.succeeded ??= []).push(uid);
        uncSucc.add(uid);
        needsFlush = true;
      }
    } else if (failed || finishedFailing) {
      // Once the Job is failing, every pod not succeeded counts as failed.
      const ix = completionIndexOf(pod);
      if (!uncFail.has(uid) && (!indexed || (ix !== UNKNOWN_INDEX && ix < completions))) {
        if (!job.spec?.podFailurePolicy || matchPodFailurePolicy(job.spec.podFailurePolicy, pod).countFailed) {
          (u.failed ??= []).push(uid);
          uncFail.add(uid);
          needsFlush = true;
        }
      }
    }
    if (newIndexes.length + uncSucc.size + uncFail.size >= MAX_UNCOUNTED_PODS) {
      reachedMax = true;
      break;
    }
  }
  if (indexed) {
    for (const ix of newIndexes) ctx.succeededIndexes.add(ix);
    const s = formatIndexes(ctx.succeededIndexes);
    if (s !== (status.completedIndexes ?? '')) needsFlush = true;
    status.completedIndexes = s;
    status.succeeded = ctx.succeededIndexes.size;
  }
  let finished = ctx.finished;
  if (finished?.type === 'FailureTarget') {
    if (findCondition(job, 'FailureTarget')?.status !== 'True') status.conditions = [...(status.conditions ?? []), finished];
    needsFlush = true;
    finished = newCondition('Failed', finished.reason ?? '', finished.message ?? '', ctx.now);
  }
  if (finished?.type === 'SuccessCriteriaMet') {
    if (findCondition(job, 'SuccessCriteriaMet')?.status !== 'True') {
      status.conditions = [...(status.conditions ?? []), finished];
      needsFlush = true;
    }
    finished = newCondition('Complete', finished.reason ?? '', finished.message ?? '', ctx.now);
  }

  if (needsFlush) {
    await writeStatus(ctx);
    ctx.onFlushed();
    needsFlush = false;
  }
  const rmErr = await removeFinalizers(ctx, toRemove, withFinalizer);
  if (cleanUncounted(status, withFinalizer)) needsFlush = true;
  if (rmErr !== undefined) {
    if (needsFlush) await writeStatus(ctx);
    throw rmErr;
  }
  const finishedNow = !reachedMax && enactFinished(ctx, finished);
  if (finishedNow) needsFlush = true;
  if (needsFlush) {
    await writeStatus(ctx);
    if (finishedNow) recordFinished(ctx, finished!);
  }
}

/** Answers the first error other than NotFound; removed uids leave `withFinalizer`. */
async function removeFinalizers(ctx: TrackContext, pods: readonly Pod[], withFinalizer: Set<string>): Promise<unknown> {
  if (pods.length === 0) return undefined;
  ctx.finalizers.expectRemoved(ctx.key, pods.map((p) => p.metadata.uid!));
  const results = await Promise.allSettled(pods.map(async (pod) => {
    const patch = removeFinalizerPatch(pod);
    if (!patch) return;
    try {
      await ctx.client.patch(resourcePods, pod.metadata.namespace ?? '', pod.metadata.name!, 'json', patch);
    } catch (err) {
      // No update will come for this pod: stop waiting for it.
      ctx.finalizers.observed(ctx.key, pod.metadata.uid!);
      if (!isNotFound(err)) throw err;
    }
  }));
  let first: unknown;
  results.forEach((r, i) => {
    if (r.status === 'fulfilled') withFinalizer.delete(pods[i]!.metadata.uid!);
    else first ??= r.reason;
  });
  return first;
}

/** enactJobFinished: the final condition, once nothing is left uncounted or terminating. */
function enactFinished(ctx: TrackContext, finished: JobCondition | undefined): boolean {
  if (!finished) return false;
  const status = ctx.job.status;
  const u: Uncounted = status.uncountedTerminatedPods ?? {};
  if ((u.succeeded?.length ?? 0) + (u.failed?.length ?? 0) > 0) return false;
  if (ctx.terminating > 0) return false;
  [status.conditions] = ensureCondition(status.conditions ?? [], finished.type, 'True', finished.reason ?? '', finished.message ?? '', ctx.now);
  if (finished.type === 'Complete') status.completionTime = formatTime(ctx.now);
  return true;
}

function recordFinished(ctx: TrackContext, finished: JobCondition): void {
  const { job } = ctx;
  if (finished.type === 'Complete') {
    const completions = job.spec?.completions;
    if (typeof completions === 'number' && (job.status.succeeded ?? 0) > completions) {
      ctx.recorder.event(job, JOBS, 'Warning', 'TooManySucceededPods', 'Too many succeeded pods running after completion count reached');
    }
    ctx.recorder.event(job, JOBS, 'Normal', 'Completed', 'Job completed');
  } else {
    ctx.recorder.event(job, JOBS, 'Warning', finished.reason ?? '', finished.message ?? '');
  }
}
