/**
 * The CronJob controller (pkg/controller/cronjob/cronjob_controllerv2.go): creates a Job for each
 * activation of the schedule in its time zone, named `<cronjob>-<minutes>`, honouring suspend,
 * startingDeadlineSeconds and concurrencyPolicy (Allow / Forbid / Replace); keeps status.active,
 * lastScheduleTime and lastSuccessfulTime; prunes finished Jobs beyond the history limits; and
 * requeues itself for the next activation. Time comes only from the injected clock.
 */
import type { Controller, K8sObject } from '../../client/types.ts';
import { resources } from '../../client/resources.ts';
import { isAlreadyExists } from '../../client/errors.ts';
import { getControllerOf, isNotFound, newControllerRef } from '../controller-ref.ts';
import { newEventRecorder } from '../events.ts';
import { formatTime, parseTime } from '../pod-util.ts';
import { eventSuffix, newQueueController, type WorkloadControllerDeps } from '../queue-controller.ts';
import { errorMessage } from '../replica-status.ts';
import { keyOf, splitKey } from '../resources.ts';
import { JOBS } from '../job/job-pod.ts';
import { finishedType, type Job } from '../job/job-util.ts';
import { activeRefs, deleteFromActiveList, inActiveList, jobsPastHistoryLimits, refOf } from './job-refs.ts';
import { parseSchedule, type Schedule } from './schedule.ts';
import { formatRfc1123z, jobNameFor, mostRecentScheduleTime, nextScheduleDelay, TOO_MANY_MISSED } from './schedule-times.ts';
import { checkTimeZone, formatRfc3339In } from './time-zone.ts';

export const CRONJOBS = resources.cronjobs;
const COMPONENT = 'cronjob-controller';
export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

export function newCronJobController(deps: WorkloadControllerDeps): Controller {
  const { client, queue, log } = deps;
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const cronJobs = deps.informers.informer<K8sObject>(CRONJOBS);
  const jobs = deps.informers.informer<Job>(JOBS);
  const recorder = newEventRecorder({ client, component: COMPONENT, now, suffix: eventSuffix(random), log });
  const event = (cj: K8sObject, type: 'Normal' | 'Warning', reason: string, message: string) => recorder.event(cj, CRONJOBS, type, reason, message);

  const ownerKey = (j: Job): string | undefined => {
    const ref = getControllerOf(j);
    if (!ref || ref.kind !== 'CronJob') return undefined;
    const cj = cronJobs.get(j.metadata.namespace ?? '', ref.name);
    return cj && cj.metadata.uid === ref.uid ? keyOf(cj) : undefined;
  };
  const jobChanged = (j: Job) => {
    const k = ownerKey(j);
    if (k) queue.add(k);
  };
  jobs.addEventHandler({
    add: jobChanged,
    update(old, cur) {
      if (getControllerOf(old)?.uid !== getControllerOf(cur)?.uid) jobChanged(old);
      jobChanged(cur);
    },
    delete: jobChanged,
  });
  cronJobs.addEventHandler({ add: (c) => queue.add(keyOf(c)), update: (_o, c) => queue.add(keyOf(c)) });

  /** syncCronJob: answers whether status changed and when to look again. */
  const syncCronJob = async (cj: K8sObject, owned: readonly Job[]): Promise<{ changed: boolean; requeueMs?: number }> => {
    let changed = false;
    const t = now();
    const children = new Set<string>();
    for (const j of owned) {
      children.add(j.metadata.uid!);
      const found = inActiveList(cj, j.metadata.uid!);
      const done = finishedType(j);
      if (!found && !done) {
        event(cj, 'Warning', 'UnexpectedJob', `Saw a job that the controller did not create or forgot: ${j.metadata.name}`);
      } else if (found && done) {
        deleteFromActiveList(cj, j.metadata.uid!);
        event(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${j.metadata.name}, condition: ${done}`);
        changed = true;
      }
      if (done === 'Complete') {
        const completed = parseTime(j.status?.completionTime);
        const last = parseTime(cj.status.lastSuccessfulTime);
        if (completed !== undefined && (last === undefined || completed > last)) {
          cj.status.lastSuccessfulTime = j.status.completionTime;
          changed = true;
        }
      }
    }
    for (const ref of activeRefs(cj)) {
      if (children.has(ref.uid)) continue;
      // Not in the cache: ask the API server before declaring it missing.
      let gone = false;
      try {
        const j = await client.get<Job>(JOBS, ref.namespace ?? cj.metadata.namespace ?? '', ref.name);
        gone = j.metadata.uid !== ref.uid;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        gone = true;
      }
      if (gone) {
        event(cj, 'Normal', 'MissingJob', `Active job went missing: ${ref.name}`);
        deleteFromActiveList(cj, ref.uid);
        changed = true;
      }
    }
    if (cj.metadata.deletionTimestamp || cj.spec?.suspend === true) return { changed };

    const tz: string | undefined = cj.spec?.timeZone ?? undefined;
    if (tz !== undefined) {
      try {
        checkTimeZone(tz);
      } catch (err) {
        event(cj, 'Warning', 'UnknownTimeZone', `invalid timeZone: ${JSON.stringify(tz)}: ${errorMessage(err)}`);
        return { changed };
      }
    }
    let sched: Schedule;
    try {
      sched = parseSchedule(cj.spec?.schedule ?? '', tz);
    } catch (err) {
      event(cj, 'Warning', 'UnparseableSchedule', `unparseable schedule: ${JSON.stringify(cj.spec?.schedule ?? '')} : ${errorMessage(err)}`);
      return { changed };
    }
    const requeueMs = nextScheduleDelay(cj, t, sched);
    const recent = mostRecentScheduleTime(cj, t, sched, true);
    if (recent.missed > TOO_MANY_MISSED) {
      event(cj, 'Warning', 'TooManyMissedTimes', `too many missed start times: ${recent.missed}. Set or decrease .spec.startingDeadlineSeconds or check clock skew`);
    }
    const scheduled = recent.time;
    if (scheduled === undefined) return { changed, requeueMs };
    const sds = cj.spec?.startingDeadlineSeconds;
    if (typeof sds === 'number' && scheduled + sds * 1000 < t) {
      event(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${formatRfc1123z(scheduled)}`);
      return { changed, requeueMs };
    }
    const name = jobNameFor(cj, scheduled);
    if (activeRefs(cj).some((r) => r.name === name) || parseTime(cj.status.lastScheduleTime) === scheduled) return { changed, requeueMs };
    const policy = cj.spec?.concurrencyPolicy ?? 'Allow';
    if (policy === 'Forbid' && activeRefs(cj).length > 0) {
      event(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      return { changed, requeueMs };
    }
    if (policy === 'Replace') {
      for (const ref of activeRefs(cj)) {
        await deleteJob(cj, ref.name);
        deleteFromActiveList(cj, ref.uid);
        changed = true;
      }
    }
    let created: Job;
    try {
      created = await client.create<Job>(JOBS, cj.metadata.namespace ?? '', jobFromTemplate(cj, scheduled, tz));
      event(cj, 'Normal', 'SuccessfulCreate', `Created job ${created.metadata.name}`);
    } catch (err) {
      if (!isAlreadyExists(err)) {
        event(cj, 'Warning', 'FailedCreate', `Error creating job: ${errorMessage(err)}`);
        throw err;
      }
      // Created by an earlier sync whose status write was lost: take it over if it is ours.
      const existing = await client.get<Job>(JOBS, cj.metadata.namespace ?? '', name);
      if (getControllerOf(existing)?.uid !== cj.metadata.uid) throw err;
      created = existing;
    }
    if (!finishedType(created) && !inActiveList(cj, created.metadata.uid!)) cj.status.active = [...activeRefs(cj), refOf(created)];
    cj.status.lastScheduleTime = formatTime(scheduled);
    return { changed: true, requeueMs };
  };

  const deleteJob = async (cj: K8sObject, name: string): Promise<boolean> => {
    try {
      await client.delete(JOBS, cj.metadata.namespace ?? '', name, { propagationPolicy: 'Background' });
    } catch (err) {
      if (isNotFound(err)) return true;
      event(cj, 'Warning', 'FailedDelete', `Deleted job: ${errorMessage(err)}`);
      return false;
    }
    event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${name}`);
    return true;
  };

  const sync = async (key: string): Promise<void> => {
    const [ns, name] = splitKey(key);
    const cached = cronJobs.get(ns, name);
    if (!cached) return;
    const cj = structuredClone(cached) as K8sObject;
    cj.status ??= {};
    const owned = jobs.byIndex('namespace', ns).filter((j) => getControllerOf(j)?.uid === cj.metadata.uid);
    const r = await syncCronJob(cj, owned);
    let changed = r.changed;
    if (!cj.metadata.deletionTimestamp) {
      for (const j of jobsPastHistoryLimits(cj, owned)) {
        if (!(await deleteJob(cj, j.metadata.name!))) continue;
        if (inActiveList(cj, j.metadata.uid!)) {
          deleteFromActiveList(cj, j.metadata.uid!);
          changed = true;
        }
      }
    }
    if (changed) await client.update(CRONJOBS, ns, cj, 'status');
    if (r.requeueMs !== undefined) queue.addAfter(key, r.requeueMs);
  };

  return newQueueController({ name: COMPONENT, queue, waitFor: [cronJobs, jobs], sync, log });
}

/** getJobFromTemplate2: the template's labels and annotations, the scheduled time, the controllerRef. */
export function jobFromTemplate(cj: K8sObject, scheduledMs: number, tz: string | undefined): Job {
  const tmpl = cj.spec?.jobTemplate ?? {};
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobNameFor(cj, scheduledMs),
      namespace: cj.metadata.namespace,
      labels: { ...tmpl.metadata?.labels },
      annotations: { ...tmpl.metadata?.annotations, [SCHEDULED_TIMESTAMP_ANNOTATION]: formatRfc3339In(scheduledMs, tz) },
      ownerReferences: [newControllerRef(cj, CRONJOBS)],
    },
    spec: structuredClone(tmpl.spec ?? {}),
  };
}
