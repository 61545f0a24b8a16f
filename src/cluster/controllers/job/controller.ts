/**
 * The Job controller (pkg/controller/job/job_controller.go): runs a Job's pods to completion.
 * Pod and Job events only enqueue the Job's key; a sync claims the pods, decides whether the Job
 * has succeeded or failed (completions, backoffLimit, activeDeadlineSeconds, podFailurePolicy),
 * creates or deletes pods (manage.ts) and counts finished pods through the tracking finalizer
 * (tracking.ts). Pods whose Job is gone or finished lose the finalizer through an orphan key.
 */
import type { Controller } from '../../client/types.ts';
import { selectorFromMetav1, type LabelSelector } from '../../../api/selectors/label-selector.ts';
import { claim, getControllerOf, isNotFound } from '../controller-ref.ts';
import { newEventRecorder } from '../events.ts';
import { Expectations } from '../expectations.ts';
import { isPodActive, isPodReady, parseTime, formatTime, type Pod } from '../pod-util.ts';
import { eventSuffix, newQueueController, type WorkloadControllerDeps } from '../queue-controller.ts';
import { keyOf, PODS, splitKey } from '../resources.ts';
import { backoffRemaining, PodBackoffStore } from './backoff.ts';
import { FinalizerExpectations } from './finalizer-expectations.ts';
import { succeededIndexes } from './indexed.ts';
import { JOBS, podFinishedMs, removeFinalizerPatch } from './job-pod.ts';
import {
  backoffLimitOf, CONTROLLER_UID_LABEL, findCondition, hasTrackingFinalizer, isIndexedJob, isJobFinished, isPodFailed, isPodTerminating,
  jobSuspended, ensureCondition, newCondition, pastBackoffLimitOnFailure, type Job, type JobCondition,
} from './job-util.ts';
import { manageJob } from './manage.ts';
import { matchPodFailurePolicy } from './pod-failure-policy.ts';
import { trackJobStatus } from './tracking.ts';

const COMPONENT = 'job-controller';
/** Keys of pods whose finalizer must go because no live, unfinished Job owns them. */
const ORPHAN_PREFIX = 'orphan-pod:';
const JOB_CONTROLLER_NAME = 'kubernetes.io/job-controller';

export type JobControllerDeps = WorkloadControllerDeps;

export function newJobController(deps: JobControllerDeps): Controller {
  const { client, queue, log } = deps;
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const jobs = deps.informers.informer<Job>(JOBS);
  const pods = deps.informers.informer<Pod>(PODS);
  const expectations = new Expectations(now);
  const finalizers = new FinalizerExpectations();
  const backoff = new PodBackoffStore();
  const recorder = newEventRecorder({ client, component: COMPONENT, now, suffix: eventSuffix(random), log });

  const selectorOf = (job: Job): LabelSelector | undefined => {
    try {
      // A Job stored without its defaulted selector still selects its own pods.
      return selectorFromMetav1(job.spec?.selector ?? { matchLabels: { [CONTROLLER_UID_LABEL]: job.metadata.uid } });
    } catch {
      return undefined;
    }
  };
  const ownerOf = (pod: Pod): Job | undefined => {
    const ref = getControllerOf(pod);
    if (!ref || ref.kind !== 'Job' || ref.apiVersion !== 'batch/v1') return undefined;
    const j = jobs.get(pod.metadata.namespace ?? '', ref.name);
    return j && j.metadata.uid === ref.uid ? j : undefined;
  };
  const enqueueOrphan = (pod: Pod) => queue.add(`${ORPHAN_PREFIX}${keyOf(pod)}`);

  /** Routes a pod event: to its Job, to the orphan cleanup, or to the Jobs that may adopt it. */
  const podChanged = (pod: Pod, deleted: boolean) => {
    const job = ownerOf(pod);
    if (job) {
      const key = keyOf(job);
      if (deleted || pod.metadata.deletionTimestamp) expectations.deletionObserved(key, keyOf(pod));
      if (deleted || !hasTrackingFinalizer(pod)) finalizers.observed(key, pod.metadata.uid!);
      if (!deleted && hasTrackingFinalizer(pod) && isJobFinished(job)) enqueueOrphan(pod);
      queue.add(key);
      return;
    }
    if (deleted) return;
    if (hasTrackingFinalizer(pod)) enqueueOrphan(pod);
    if (getControllerOf(pod) || pod.metadata.deletionTimestamp) return;
    for (const j of jobs.byIndex('namespace', pod.metadata.namespace ?? '')) {
      const sel = selectorOf(j);
      if (sel && !sel.empty && sel.matches(pod.metadata.labels)) queue.add(keyOf(j));
    }
  };

  pods.addEventHandler({
    add(pod) {
      const job = ownerOf(pod);
      if (job && !pod.metadata.deletionTimestamp) expectations.creationObserved(keyOf(job));
      podChanged(pod, false);
    },
    update(old, cur) {
      if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
      const oldRef = getControllerOf(old);
      if (oldRef && oldRef.uid !== getControllerOf(cur)?.uid) {
        const j = ownerOf(old);
        if (j) queue.add(keyOf(j));
      }
      podChanged(cur, false);
    },
    delete: (pod) => podChanged(pod, true),
  });
  jobs.addEventHandler({
    add: (j) => queue.add(keyOf(j)),
    update: (_old, cur) => queue.add(keyOf(cur)),
    delete(j) {
      queue.add(keyOf(j));
      // Its pods keep their finalizers until someone removes them: that is this controller.
      for (const p of pods.byIndex('namespace', j.metadata.namespace ?? '')) {
        if (getControllerOf(p)?.uid === j.metadata.uid && hasTrackingFinalizer(p)) enqueueOrphan(p);
      }
    },
  });

  /** syncOrphanPod: drop the finalizer unless an unfinished Job owns the pod. */
  const syncOrphanPod = async (podKey: string): Promise<void> => {
    const [ns, name] = splitKey(podKey);
    const pod = pods.get(ns, name);
    if (!pod) return;
    const ref = getControllerOf(pod);
    if (ref) {
      if (ref.kind !== 'Job' || ref.apiVersion !== 'batch/v1') return;
      const job = ownerOf(pod);
      if (job && !isJobFinished(job)) return;
    }
    const patch = removeFinalizerPatch(pod);
    if (!patch) return;
    try {
      await client.patch(PODS, ns, name, 'json', patch);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  };

  const sync = async (key: string): Promise<void> => {
    if (key.startsWith(ORPHAN_PREFIX)) return syncOrphanPod(key.slice(ORPHAN_PREFIX.length));
    const [ns, name] = splitKey(key);
    const cached = jobs.get(ns, name);
    if (!cached) {
      expectations.delete(key);
      finalizers.delete(key);
      backoff.remove(key);
      return;
    }
    const managedBy = cached.spec?.managedBy;
    if (managedBy && managedBy !== JOB_CONTROLLER_NAME) return;
    if (isJobFinished(cached)) {
      backoff.remove(key);
      return;
    }
    const mode = cached.spec?.completionMode;
    if (mode !== undefined && mode !== 'NonIndexed' && mode !== 'Indexed') {
      recorder.event(cached, JOBS, 'Warning', 'UnknownCompletionMode', 'Skipped Job sync because completion mode is unknown');
      return;
    }
    const selector = selectorOf(cached);
    if (!selector) {
      log.error({ key }, `${COMPONENT}: invalid selector of ${key}`);
      return;
    }
    const job: Job = structuredClone(cached) as Job;
    const status = (job.status ??= {});
    status.uncountedTerminatedPods ??= {};
    const t = now();
    const satisfied = expectations.satisfied(key);
    const owned = await claim({ client, owner: cached, ownerResource: JOBS, selector, resource: PODS }, pods.byIndex('namespace', ns));
    const expectedRemoved = finalizers.expected(key);
    const active = owned.filter(isPodActive);
    let terminating = owned.filter(isPodTerminating).length;
    let ready = active.filter(isPodReady).length;
    const uncSucc = new Set<string>(status.uncountedTerminatedPods.succeeded ?? []);
    const uncFail = new Set<string>(status.uncountedTerminatedPods.failed ?? []);
    const fresh = (p: Pod, seen: Set<string>) => hasTrackingFinalizer(p) && !expectedRemoved.has(p.metadata.uid!) && !seen.has(p.metadata.uid!);
    const newSucceeded = owned.filter((p) => p.status?.phase === 'Succeeded' && fresh(p, uncSucc));
    const newFailed = owned.filter((p) => isPodFailed(p, job) && fresh(p, uncFail));
    const countedFailures = job.spec?.podFailurePolicy ? newFailed.filter((p) => matchPodFailurePolicy(job.spec.podFailurePolicy, p).countFailed).length : newFailed.length;
    let succeeded = (status.succeeded ?? 0) + newSucceeded.length + uncSucc.size;
    const failed = (status.failed ?? 0) + countedFailures + uncFail.size;
    if (!status.startTime && !jobSuspended(job)) status.startTime = formatTime(t);

    let finished: JobCondition | undefined = findCondition(job, 'SuccessCriteriaMet')?.status === 'True' ? findCondition(job, 'SuccessCriteriaMet') : undefined;
    if (!finished) {
      const target = findCondition(job, 'FailureTarget');
      if (target?.status === 'True') finished = newCondition('Failed', target.reason ?? '', target.message ?? '', t);
      else {
        const msg = failJobMessage(job, owned);
        if (msg) finished = newCondition('FailureTarget', 'PodFailurePolicy', msg, t);
      }
    }
    if (!finished) {
      const start = parseTime(status.startTime);
      const deadline = job.spec?.activeDeadlineSeconds;
      if (failed > backoffLimitOf(job) || pastBackoffLimitOnFailure(job, owned)) {
        finished = newCondition('FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', t);
      } else if (typeof deadline === 'number' && start !== undefined && !jobSuspended(job)) {
        const left = start + deadline * 1000 - t;
        if (left <= 0) finished = newCondition('FailureTarget', 'DeadlineExceeded', 'Job was active longer than specified deadline', t);
        else queue.addAfter(key, left);
      }
    }
    const indexes = isIndexedJob(job) ? succeededIndexes(job, owned) : { prev: new Set<number>(), all: new Set<number>() };
    if (isIndexedJob(job)) succeeded = indexes.all.size;

    let activeCount = active.length;
    let manageErr: unknown;
    let suspendChanged = false;
    const lastFailure = newFailed.reduce((m, p) => Math.max(m, podFinishedMs(p, t)), 0);
    const backoffRecord = backoff.next(key, newSucceeded.length, newFailed.length, lastFailure);
    if (finished) {
      // deleteActivePods: the finalizers stay; tracking counts these pods as failed.
      const r = await Promise.allSettled(active.map((p) => client.delete(PODS, ns, p.metadata.name!)));
      const deleted = r.filter((x) => x.status === 'fulfilled' || isNotFound(x.reason)).length;
      ready -= active.filter((p, i) => r[i]!.status === 'fulfilled' && isPodReady(p)).length;
      if (deleted !== active.length || !satisfied) finished = undefined;
      activeCount -= deleted;
      terminating += deleted;
      manageErr = r.find((x): x is PromiseRejectedResult => x.status === 'rejected' && !isNotFound(x.reason))?.reason;
    } else {
      let manageCalled = false;
      if (satisfied && !job.metadata.deletionTimestamp) {
        const m = await manageJob({
          client, recorder, expectations, key, now: t, job, active, succeeded, succeededIndexes: indexes.all, terminating,
          backoffRemaining: backoffRemaining(backoffRecord, t),
          requeueAfter: (ms) => queue.addAfter(key, ms),
        });
        ({ active: activeCount, ready, terminating } = m);
        manageErr = m.error;
        manageCalled = true;
      }
      const completions = job.spec?.completions;
      const complete = typeof completions === 'number' ? succeeded >= completions && activeCount === 0 : succeeded > 0 && activeCount === 0;
      if (complete) finished = newCondition('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods', t);
      else if (manageCalled) suspendChanged = updateSuspended(job, t);
    }
    const needsUpdate = suspendChanged || activeCount !== (status.active ?? 0) || ready !== status.ready || terminating !== status.terminating;
    status.active = activeCount;
    status.ready = ready;
    status.terminating = terminating;
    await trackJobStatus({
      client, recorder, finalizers, key, now: t, job, pods: owned, expectedRemoved, finished,
      prevIndexes: indexes.prev, succeededIndexes: indexes.all, terminating,
      onFlushed: () => backoff.commit(key, backoffRecord),
    }, needsUpdate || status.startTime !== cached.status?.startTime);
    if (manageErr) throw manageErr;
  };

  /** The Suspended condition and its events; resuming restarts the active deadline. */
  const updateSuspended = (job: Job, t: number): boolean => {
    const status = job.status;
    const suspend = jobSuspended(job);
    const [conds, changed] = suspend
      ? ensureCondition(status.conditions ?? [], 'Suspended', 'True', 'JobSuspended', 'Job suspended', t)
      : ensureCondition(status.conditions ?? [], 'Suspended', 'False', 'JobResumed', 'Job resumed', t);
    if (!changed) return false;
    status.conditions = conds;
    if (suspend) recorder.event(job, JOBS, 'Normal', 'Suspended', 'Job suspended');
    else {
      recorder.event(job, JOBS, 'Normal', 'Resumed', 'Job resumed');
      status.startTime = formatTime(t);
    }
    return true;
  };

  return newQueueController({ name: COMPONENT, queue, waitFor: [jobs, pods], sync, log });
}

/** getFailJobMessage: the message of the first failed pod a FailJob rule matches. */
function failJobMessage(job: Job, pods: readonly Pod[]): string | undefined {
  if (!job.spec?.podFailurePolicy) return undefined;
  for (const p of pods) {
    if (!isPodFailed(p, job)) continue;
    const m = matchPodFailurePolicy(job.spec.podFailurePolicy, p).failJobMessage;
    if (m) return m;
  }
  return undefined;
}
