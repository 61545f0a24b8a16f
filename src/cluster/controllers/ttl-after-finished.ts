/**
 * The TTL-after-finished controller (pkg/controller/ttlafterfinished): deletes a finished Job
 * ttlSecondsAfterFinished after its Complete or Failed condition became True. Before deleting it
 * re-reads the Job from the API server (the TTL may have been changed or removed since the cache
 * saw it) and deletes in the foreground with that resourceVersion as precondition, so the pods go
 * first and a Job changed meanwhile is not deleted on stale grounds.
 */
import type { Controller } from '../client/types.ts';
import { isNotFound } from './controller-ref.ts';
import { JOBS } from './job/job-pod.ts';
import { findCondition, finishedType, type Job } from './job/job-util.ts';
import { parseTime } from './pod-util.ts';
import { newQueueController, type WorkloadControllerDeps } from './queue-controller.ts';
import { keyOf, splitKey } from './resources.ts';

const COMPONENT = 'ttl-after-finished-controller';

/** When the Job may be deleted (ms), or undefined when it has no TTL or has not finished. */
export function jobExpiresAt(job: Job): number | undefined {
  const ttl = job.spec?.ttlSecondsAfterFinished;
  const type = finishedType(job);
  if (typeof ttl !== 'number' || !type || job.metadata.deletionTimestamp) return undefined;
  const finished = parseTime(findCondition(job, type)?.lastTransitionTime);
  // A finished condition without a time is malformed; upstream refuses to guess too.
  return finished === undefined ? undefined : finished + ttl * 1000;
}

export function newTtlAfterFinishedController(deps: WorkloadControllerDeps): Controller {
  const { client, queue, log } = deps;
  const now = deps.now ?? Date.now;
  const jobs = deps.informers.informer<Job>(JOBS);
  const enqueue = (j: Job) => {
    if (jobExpiresAt(j) !== undefined) queue.add(keyOf(j));
  };
  jobs.addEventHandler({ add: enqueue, update: (_o, cur) => enqueue(cur) });

  /** processTTL: answers the delay left, or deletes. */
  const sync = async (key: string): Promise<void> => {
    const [ns, name] = splitKey(key);
    const cached = jobs.get(ns, name);
    if (!cached) return;
    const at = jobExpiresAt(cached);
    if (at === undefined) return;
    if (at > now()) {
      queue.addAfter(key, at - now());
      return;
    }
    let fresh: Job;
    try {
      fresh = await client.get<Job>(JOBS, ns, name);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    const freshAt = jobExpiresAt(fresh);
    if (freshAt === undefined) return;
    if (freshAt > now()) {
      queue.addAfter(key, freshAt - now());
      return;
    }
    try {
      await client.delete(JOBS, ns, name, { propagationPolicy: 'Foreground', preconditions: { resourceVersion: fresh.metadata.resourceVersion } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  };
  return newQueueController({ name: COMPONENT, queue, waitFor: [jobs], sync, log });
}
