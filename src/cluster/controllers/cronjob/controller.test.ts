/** The CronJob controller on the fake client, the real informers and queue, and a fake clock. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { K8sObject } from '../../client/types.ts';
import { JOBS } from '../job/job-pod.ts';
import { eventsOf, one, startHarness, type Harness } from '../job/test-harness.ts';
import { CRONJOBS, newCronJobController } from './controller.ts';

const START = Date.UTC(2026, 0, 1, 10, 0, 30);
const minutes = (iso: string) => Date.parse(iso) / 60_000;

function cronJob(spec: Record<string, unknown>, status: Record<string, unknown> = {}): K8sObject {
  return {
    metadata: { name: 'hello', namespace: 'default' },
    spec: {
      schedule: '*/5 * * * *',
      jobTemplate: { metadata: { labels: { team: 'a' } }, spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] } } } },
      ...spec,
    },
    status,
  };
}

const jobNames = (h: Harness) => h.client.stored<K8sObject>(JOBS, 'default').filter((j) => !j.metadata.deletionTimestamp).map((j) => j.metadata.name).sort();

async function finish(h: Harness, name: string, type: 'Complete' | 'Failed', at: string): Promise<void> {
  const j = h.client.stored<K8sObject>(JOBS, 'default').find((x) => x.metadata.name === name)!;
  const status = { startTime: at, conditions: [{ type, status: 'True', lastTransitionTime: at }], ...(type === 'Complete' ? { completionTime: at } : {}) };
  await h.client.update(JOBS, 'default', { ...j, status }, 'status');
  await h.idle();
}

test('fires at the scheduled minute: Job <name>-<minutes> from the template, scheduled-timestamp annotation, controllerRef, status and event', async () => {
  const h = await startHarness(newCronJobController, START);
  const cj = h.client.seed(CRONJOBS, cronJob({ timeZone: 'Europe/Berlin' }));
  try {
    await h.idle();
    assert.deepEqual(jobNames(h), []);
    await h.advance(4 * 60_000 + 29_000);
    assert.deepEqual(jobNames(h), [], 'nothing before 10:05');
    await h.advance(2000);
    const name = `hello-${minutes('2026-01-01T10:05:00Z')}`;
    assert.deepEqual(jobNames(h), [name]);
    const job = one(h.client, JOBS);
    assert.deepEqual(job.metadata.labels, { team: 'a' });
    assert.equal(job.metadata.annotations['batch.kubernetes.io/cronjob-scheduled-timestamp'], '2026-01-01T11:05:00+01:00');
    assert.deepEqual(job.metadata.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'hello', uid: cj.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    assert.equal(job.spec.template.spec.restartPolicy, 'OnFailure');
    const cur = one(h.client, CRONJOBS);
    assert.equal(cur.status.lastScheduleTime, '2026-01-01T10:05:00Z');
    assert.deepEqual(cur.status.active.map((r: { name: string; kind: string; uid: string }) => [r.kind, r.name, r.uid]), [['Job', name, job.metadata.uid]]);
    assert.ok(eventsOf(h.client).includes(`Normal SuccessfulCreate Created job ${name}`));
    await finish(h, name, 'Complete', '2026-01-01T10:06:00Z');
    const after = one(h.client, CRONJOBS);
    assert.equal(after.status.active, undefined);
    assert.equal(after.status.lastSuccessfulTime, '2026-01-01T10:06:00Z');
    assert.ok(eventsOf(h.client).includes(`Normal SawCompletedJob Saw completed job: ${name}, condition: Complete`));
    await h.advance(5 * 60_000);
    assert.equal(jobNames(h).length, 2, 'and again at 10:10');
  } finally {
    await h.stop();
  }
});

test('Forbid holds an activation back while a Job is active, and starts it late once that Job finishes (no startingDeadlineSeconds)', async () => {
  const h = await startHarness(newCronJobController, START);
  h.client.seed(CRONJOBS, cronJob({ concurrencyPolicy: 'Forbid' }));
  try {
    await h.advance(4 * 60_000 + 31_000);
    const first = `hello-${minutes('2026-01-01T10:05:00Z')}`;
    assert.deepEqual(jobNames(h), [first]);
    await h.advance(5 * 60_000);
    assert.deepEqual(jobNames(h), [first], 'no second Job while the first runs');
    assert.ok(eventsOf(h.client).includes('Normal JobAlreadyActive Not starting job because prior execution is running and concurrency policy is Forbid'));
    await finish(h, first, 'Complete', '2026-01-01T10:10:31Z');
    assert.deepEqual(jobNames(h), [first, `hello-${minutes('2026-01-01T10:10:00Z')}`]);
  } finally {
    await h.stop();
  }
});

test('Replace deletes the running Job and starts the new one', async () => {
  const h = await startHarness(newCronJobController, START);
  h.client.seed(CRONJOBS, cronJob({ concurrencyPolicy: 'Replace' }));
  try {
    await h.advance(4 * 60_000 + 31_000);
    const first = `hello-${minutes('2026-01-01T10:05:00Z')}`;
    await h.advance(5 * 60_000);
    const second = `hello-${minutes('2026-01-01T10:10:00Z')}`;
    assert.deepEqual(jobNames(h), [second]);
    const del = h.client.writes().find((a) => a.verb === 'delete' && a.name === first);
    assert.equal((del?.object as { propagationPolicy?: string })?.propagationPolicy, 'Background');
    assert.ok(eventsOf(h.client).includes(`Normal SuccessfulDelete Deleted job ${first}`));
    const cur = one(h.client, CRONJOBS);
    assert.deepEqual(cur.status.active.map((r: { name: string }) => r.name), [second]);
  } finally {
    await h.stop();
  }
});

test('history limits prune the oldest finished Jobs of each kind', async () => {
  const h = await startHarness(newCronJobController, START);
  const cj = h.client.seed(CRONJOBS, cronJob({ suspend: true, successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 2 }));
  const ref = { apiVersion: 'batch/v1', kind: 'CronJob', name: 'hello', uid: cj.metadata.uid, controller: true, blockOwnerDeletion: true };
  const seed = (name: string, type: string, start: string) =>
    h.client.seed(JOBS, { metadata: { name, namespace: 'default', ownerReferences: [ref] }, spec: {}, status: { startTime: start, conditions: [{ type, status: 'True' }] } });
  try {
    seed('ok-1', 'Complete', '2026-01-01T08:00:00Z');
    seed('ok-2', 'Complete', '2026-01-01T09:00:00Z');
    seed('ok-3', 'Complete', '2026-01-01T07:00:00Z');
    seed('bad-1', 'Failed', '2026-01-01T08:00:00Z');
    seed('bad-2', 'Failed', '2026-01-01T07:00:00Z');
    seed('bad-3', 'Failed', '2026-01-01T09:00:00Z');
    h.client.seed(JOBS, { metadata: { name: 'not-mine', namespace: 'default' }, spec: {}, status: { conditions: [{ type: 'Complete', status: 'True' }] } });
    const cur = one(h.client, CRONJOBS);
    await h.client.update(CRONJOBS, 'default', { ...cur, metadata: { ...cur.metadata, labels: { touch: '1' } } });
    await h.idle();
    assert.deepEqual(jobNames(h), ['bad-1', 'bad-3', 'not-mine', 'ok-2']);
  } finally {
    await h.stop();
  }
});

test('after a long outage: one Job for the latest activation and the TooManyMissedTimes warning', async () => {
  const h = await startHarness(newCronJobController, START);
  h.client.seed(CRONJOBS, cronJob({ schedule: '* * * * *' }, { lastScheduleTime: '2026-01-01T07:00:00Z' }));
  try {
    await h.idle();
    assert.deepEqual(jobNames(h), [`hello-${minutes('2026-01-01T10:00:00Z')}`]);
    assert.ok(eventsOf(h.client).includes('Warning TooManyMissedTimes too many missed start times: 180. Set or decrease .spec.startingDeadlineSeconds or check clock skew'));
  } finally {
    await h.stop();
  }
});

test('startingDeadlineSeconds: an activation older than the deadline is not started; suspend starts nothing', async () => {
  const h = await startHarness(newCronJobController, START);
  h.client.seed(CRONJOBS, cronJob({ schedule: '0 * * * *', startingDeadlineSeconds: 20 }, { lastScheduleTime: '2026-01-01T09:00:00Z' }));
  try {
    await h.idle();
    assert.deepEqual(jobNames(h), [], 'the 10:00 run is 30 s late, past its 20 s deadline');
    const cur = one(h.client, CRONJOBS);
    await h.client.update(CRONJOBS, 'default', { ...cur, spec: { ...cur.spec, suspend: true } });
    await h.advance(60 * 60_000);
    assert.deepEqual(jobNames(h), []);
  } finally {
    await h.stop();
  }
});

test('an invalid schedule or time zone is reported, never run', async () => {
  const h = await startHarness(newCronJobController, START);
  h.client.seed(CRONJOBS, cronJob({ schedule: '* * *' }));
  h.client.seed(CRONJOBS, { ...cronJob({ timeZone: 'Nowhere/Town' }), metadata: { name: 'tz', namespace: 'default' } });
  try {
    await h.advance(10 * 60_000);
    assert.deepEqual(jobNames(h), []);
    const ev = eventsOf(h.client);
    assert.ok(ev.includes('Warning UnparseableSchedule unparseable schedule: "* * *" : expected exactly 5 fields, found 3: [* * *]'), ev.join('\n'));
    assert.ok(ev.includes('Warning UnknownTimeZone invalid timeZone: "Nowhere/Town": unknown time zone Nowhere/Town'), ev.join('\n'));
  } finally {
    await h.stop();
  }
});
