/**
 * The pod a Job creates (manageJob): the template with the Job's controllerRef, its labels (the
 * API server's defaulting puts them on the template; they are added here too, so a Job stored
 * without them still owns what it makes), the tracking finalizer, and for an Indexed Job the
 * completion index as annotation, label, hostname `<job>-<index>` and JOB_COMPLETION_INDEX.
 */
import { resources } from '../../client/resources.ts';
import { parseTime, type Pod } from '../pod-util.ts';
import { podFromTemplate } from '../replica-manage.ts';
import {
  COMPLETION_INDEX, CONTROLLER_UID_LABEL, JOB_NAME_LABEL, JOB_TRACKING_FINALIZER, LEGACY_CONTROLLER_UID_LABEL, LEGACY_JOB_NAME_LABEL, type Job,
} from './job-util.ts';
import { UNKNOWN_INDEX } from './indexed.ts';

export const JOBS = resources.jobs;

const INDEX_ENV = 'JOB_COMPLETION_INDEX';

/** addCompletionIndexEnvVariables: every container reads its index from the annotation. */
function addIndexEnv(containers: unknown): void {
  if (!Array.isArray(containers)) return;
  for (const c of containers) {
    const env: Array<{ name: string }> = Array.isArray(c.env) ? c.env : [];
    if (env.some((e) => e.name === INDEX_ENV)) continue;
    c.env = [...env, { name: INDEX_ENV, valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${COMPLETION_INDEX}']` } } }];
  }
}

export function newJobPod(job: Job, index: number = UNKNOWN_INDEX): Pod {
  const pod = podFromTemplate(job, JOBS);
  const meta = pod.metadata;
  const name = job.metadata.name!;
  const uid = job.metadata.uid!;
  if (job.spec?.manualSelector !== true) {
    meta.labels = { ...meta.labels, [CONTROLLER_UID_LABEL]: uid, [JOB_NAME_LABEL]: name, [LEGACY_CONTROLLER_UID_LABEL]: uid, [LEGACY_JOB_NAME_LABEL]: name };
  }
  meta.finalizers = [...new Set([...(meta.finalizers ?? []), JOB_TRACKING_FINALIZER])];
  if (index !== UNKNOWN_INDEX) {
    const ix = String(index);
    meta.generateName = `${name}-${ix}-`;
    meta.annotations = { ...meta.annotations, [COMPLETION_INDEX]: ix };
    meta.labels = { ...meta.labels, [COMPLETION_INDEX]: ix };
    pod.spec.hostname = `${name}-${ix}`;
    addIndexEnv(pod.spec.initContainers);
    addIndexEnv(pod.spec.containers);
  }
  return pod;
}

/** getFinishedTime: the last container termination, else `fallbackMs`. */
export function podFinishedMs(pod: Pod, fallbackMs: number): number {
  let latest: number | undefined;
  for (const s of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    const t = parseTime(s?.state?.terminated?.finishedAt);
    if (t !== undefined && (latest === undefined || t > latest)) latest = t;
  }
  return latest ?? fallbackMs;
}

/** The JSON patch that removes the tracking finalizer (removeTrackingFinalizerPatch), or undefined. */
export function removeFinalizerPatch(pod: Pod): unknown[] | undefined {
  const fins: string[] = pod.metadata.finalizers ?? [];
  const i = fins.indexOf(JOB_TRACKING_FINALIZER);
  if (i < 0) return undefined;
  // The test op makes the patch fail rather than remove another finalizer if the list moved.
  return [{ op: 'test', path: `/metadata/finalizers/${i}`, value: JOB_TRACKING_FINALIZER }, { op: 'remove', path: `/metadata/finalizers/${i}` }];
}
