/**
 * Job labels, conditions and pod states as upstream's pkg/controller/job (utils.go,
 * job_controller.go) and pkg/apis/batch define them.
 */
import type { K8sObject } from '../../client/types.ts';
import { formatTime } from '../pod-util.ts';
import type { Pod } from '../pod-util.ts';

export type Job = K8sObject;

/** Keeps a finished pod until the controller has counted it (job tracking with finalizers). */
export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';
export const LEGACY_JOB_NAME_LABEL = 'job-name';
export const COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';

export interface JobCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastProbeTime?: string;
  lastTransitionTime?: string;
}

export function conditionsOf(job: Job): JobCondition[] {
  const c = job.status?.conditions;
  return Array.isArray(c) ? c : [];
}

export function findCondition(job: Job, type: string): JobCondition | undefined {
  return conditionsOf(job).find((c) => c.type === type);
}

const isTrue = (job: Job, type: string): boolean => findCondition(job, type)?.status === 'True';

/** IsJobFinished: Complete or Failed is True. */
export function isJobFinished(job: Job): boolean {
  return isTrue(job, 'Complete') || isTrue(job, 'Failed');
}

/** The finished condition type ('Complete' | 'Failed'), if any. */
export function finishedType(job: Job): 'Complete' | 'Failed' | undefined {
  if (isTrue(job, 'Complete')) return 'Complete';
  if (isTrue(job, 'Failed')) return 'Failed';
  return undefined;
}

export function newCondition(type: string, reason: string, message: string, nowMs: number): JobCondition {
  const t = formatTime(nowMs);
  return { type, status: 'True', reason, message, lastProbeTime: t, lastTransitionTime: t };
}

/**
 * ensureJobConditionStatus: sets `type` to `status` (appending it when absent and True); the
 * transition time moves only when the status changes. Answers the new list and whether it changed.
 */
export function ensureCondition(list: JobCondition[], type: string, status: JobCondition['status'], reason: string, message: string, nowMs: number): [JobCondition[], boolean] {
  const i = list.findIndex((c) => c.type === type);
  const t = formatTime(nowMs);
  if (i < 0) {
    if (status !== 'True') return [list, false];
    return [[...list, { type, status, reason, message, lastProbeTime: t, lastTransitionTime: t }], true];
  }
  const cur = list[i]!;
  if (cur.status === status && cur.reason === reason && cur.message === message) return [list, false];
  const next = [...list];
  next[i] = { type, status, reason, message, lastProbeTime: t, lastTransitionTime: cur.status === status ? cur.lastTransitionTime : t };
  return [next, true];
}

export const jobSuspended = (job: Job): boolean => job.spec?.suspend === true;
export const isIndexedJob = (job: Job): boolean => job.spec?.completionMode === 'Indexed';
export const hasTrackingFinalizer = (pod: Pod): boolean => Array.isArray(pod.metadata.finalizers) && pod.metadata.finalizers.includes(JOB_TRACKING_FINALIZER);

/** onlyReplaceFailedPods: podReplacementPolicy Failed, implied by a podFailurePolicy. */
export function onlyReplaceFailedPods(job: Job): boolean {
  return job.spec?.podReplacementPolicy === 'Failed' || !!job.spec?.podFailurePolicy;
}

/**
 * isPodFailed: a Failed pod; unless only failed pods are replaced, also a pod deleted before it
 * succeeded (an orphan or evicted pod might never reach the Failed phase).
 */
export function isPodFailed(pod: Pod, job: Job): boolean {
  if (pod.status?.phase === 'Failed') return true;
  if (onlyReplaceFailedPods(job)) return false;
  return !!pod.metadata.deletionTimestamp && pod.status?.phase !== 'Succeeded';
}

/** CountTerminatingPods: being deleted but not yet in a terminal phase. */
export function isPodTerminating(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return !!pod.metadata.deletionTimestamp && phase !== 'Failed' && phase !== 'Succeeded';
}

/** Sum of container restarts of running and pending pods (pastBackoffLimitOnFailure). */
export function pastBackoffLimitOnFailure(job: Job, pods: readonly Pod[]): boolean {
  if (job.spec?.template?.spec?.restartPolicy !== 'OnFailure') return false;
  let restarts = 0;
  for (const p of pods) {
    if (p.status?.phase !== 'Running' && p.status?.phase !== 'Pending') continue;
    for (const s of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]) restarts += s?.restartCount ?? 0;
  }
  const limit = backoffLimitOf(job);
  return limit === 0 ? restarts > 0 : restarts >= limit;
}

/** Defaults as the API server fills them in (a fake client does not default). */
export const backoffLimitOf = (job: Job): number => job.spec?.backoffLimit ?? 6;
export const parallelismOf = (job: Job): number => job.spec?.parallelism ?? 1;
export const completionsOf = (job: Job): number | undefined => (typeof job.spec?.completions === 'number' ? job.spec.completions : undefined);
