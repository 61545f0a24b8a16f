/**
 * The CronJob's view of its Jobs (cronjob/utils.go): status.active holds ObjectReferences; a Job
 * is finished when Complete or Failed is True; history cleanup removes the oldest finished Jobs
 * beyond successfulJobsHistoryLimit / failedJobsHistoryLimit.
 */
import type { K8sObject } from '../../client/types.ts';
import { parseTime } from '../pod-util.ts';
import { finishedType, type Job } from '../job/job-util.ts';

export interface ObjectReference {
  kind: string;
  namespace?: string;
  name: string;
  uid: string;
  apiVersion: string;
  resourceVersion?: string;
}

/** getRef. */
export function refOf(job: Job): ObjectReference {
  return { kind: 'Job', namespace: job.metadata.namespace, name: job.metadata.name!, uid: job.metadata.uid!, apiVersion: 'batch/v1', resourceVersion: job.metadata.resourceVersion };
}

export function activeRefs(cj: K8sObject): ObjectReference[] {
  const a = cj.status?.active;
  return Array.isArray(a) ? a : [];
}

export const inActiveList = (cj: K8sObject, uid: string): boolean => activeRefs(cj).some((r) => r.uid === uid);

export function deleteFromActiveList(cj: K8sObject, uid: string): void {
  const keep = activeRefs(cj).filter((r) => r.uid !== uid);
  if (keep.length > 0) cj.status.active = keep;
  else delete cj.status.active;
}

/** byJobStartTime: oldest start first (no start time: creation time), then by name. */
function startOf(j: Job): number {
  return parseTime(j.status?.startTime) ?? parseTime(j.metadata.creationTimestamp) ?? 0;
}

/** The finished Jobs past each history limit, oldest first. */
export function jobsPastHistoryLimits(cj: K8sObject, jobs: readonly Job[]): Job[] {
  const out: Job[] = [];
  const pick = (type: 'Complete' | 'Failed', limit: unknown) => {
    if (typeof limit !== 'number') return;
    const done = jobs.filter((j) => finishedType(j) === type).sort((a, b) => startOf(a) - startOf(b) || (a.metadata.name! < b.metadata.name! ? -1 : 1));
    out.push(...done.slice(0, Math.max(0, done.length - limit)));
  };
  pick('Complete', cj.spec?.successfulJobsHistoryLimit);
  pick('Failed', cj.spec?.failedJobsHistoryLimit);
  return out;
}
