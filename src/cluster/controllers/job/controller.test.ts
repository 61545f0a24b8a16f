/** The Job controller against the fake client, the real informers and queue, and a fake clock. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { K8sObject } from '../../client/types.ts';
import { newJobController } from './controller.ts';
import { JOBS } from './job-pod.ts';
import { JOB_TRACKING_FINALIZER } from './job-util.ts';
import { eventsOf, one, podsOf, setPodStatus, startHarness } from './test-harness.ts';

function job(spec: Record<string, unknown>): K8sObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi', namespace: 'default' },
    spec: { template: { metadata: { labels: { app: 'pi' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'perl' }] } }, ...spec },
  };
}

const live = (pods: K8sObject[]) => pods.filter((p) => !p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
const types = (j: K8sObject) => (j.status?.conditions ?? []).map((c: { type: string; status: string; reason?: string }) => `${c.type}=${c.status}:${c.reason ?? ''}`);

test('completions 3, parallelism 2: two pods, then one more, then Complete after SuccessCriteriaMet with every finalizer gone', async () => {
  const h = await startHarness(newJobController);
  const j = h.client.seed(JOBS, job({ completions: 3, parallelism: 2 }));
  try {
    await h.idle();
    let pods = podsOf(h.client);
    assert.equal(pods.length, 2);
    for (const p of pods) {
      assert.match(p.metadata.name!, /^pi-/);
      assert.deepEqual(p.metadata.finalizers, [JOB_TRACKING_FINALIZER]);
      assert.equal(p.metadata.labels['batch.kubernetes.io/controller-uid'], j.metadata.uid);
      assert.equal(p.metadata.labels['batch.kubernetes.io/job-name'], 'pi');
      assert.equal(p.metadata.labels['controller-uid'], j.metadata.uid);
      assert.equal(p.metadata.labels['job-name'], 'pi');
      assert.equal(p.metadata.labels.app, 'pi');
      assert.deepEqual(p.metadata.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'Job', name: 'pi', uid: j.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    }
    let cur = one(h.client, JOBS);
    assert.equal(cur.status.active, 2);
    assert.equal(cur.status.startTime, '2026-01-01T10:00:00Z');
    for (const p of pods) await setPodStatus(h.client, p, { phase: 'Succeeded' });
    await h.idle();
    pods = podsOf(h.client);
    assert.equal(pods.length, 3);
    assert.equal(live(pods).length, 1, 'one more pod for the last completion');
    cur = one(h.client, JOBS);
    assert.equal(cur.status.succeeded, 2);
    assert.equal(cur.status.active, 1);
    await h.advance(5000);
    await setPodStatus(h.client, live(pods)[0]!, { phase: 'Succeeded' });
    await h.idle();
    cur = one(h.client, JOBS);
    assert.equal(cur.status.succeeded, 3);
    assert.equal(cur.status.active, 0);
    assert.deepEqual(types(cur), ['SuccessCriteriaMet=True:CompletionsReached', 'Complete=True:CompletionsReached']);
    assert.equal(cur.status.completionTime, '2026-01-01T10:00:05Z');
    assert.deepEqual(cur.status.uncountedTerminatedPods, {});
    for (const p of podsOf(h.client)) assert.deepEqual(p.metadata.finalizers ?? [], [], `${p.metadata.name} keeps no finalizer`);
    const events = eventsOf(h.client);
    assert.equal(events.filter((e) => e.startsWith('Normal SuccessfulCreate Created pod: pi-')).length, 3);
    assert.ok(events.includes('Normal Completed Job completed'));
  } finally {
    await h.stop();
  }
});

test('backoffLimit 1: a failure waits out the 10 s backoff, the second failure fails the Job with BackoffLimitExceeded', async () => {
  const h = await startHarness(newJobController);
  h.client.seed(JOBS, job({ backoffLimit: 1 }));
  try {
    await h.idle();
    const [first] = podsOf(h.client);
    await setPodStatus(h.client, first!, { phase: 'Failed' });
    await h.idle();
    assert.equal(live(podsOf(h.client)).length, 0, 'no replacement before the backoff');
    assert.equal(one(h.client, JOBS).status.failed, 1);
    await h.advance(9000);
    assert.equal(live(podsOf(h.client)).length, 0);
    await h.advance(1500);
    const [second] = live(podsOf(h.client));
    assert.ok(second, 'a replacement after 10 s');
    await setPodStatus(h.client, second!, { phase: 'Failed' });
    await h.idle();
    const cur = one(h.client, JOBS);
    assert.equal(cur.status.failed, 2);
    assert.deepEqual(types(cur), ['FailureTarget=True:BackoffLimitExceeded', 'Failed=True:BackoffLimitExceeded']);
    assert.equal(cur.status.conditions[1].message, 'Job has reached the specified backoff limit');
    assert.equal(cur.status.completionTime, undefined);
    assert.ok(eventsOf(h.client).includes('Warning BackoffLimitExceeded Job has reached the specified backoff limit'));
  } finally {
    await h.stop();
  }
});

test('Indexed: one pod per index with annotation, label, hostname and env; completedIndexes as intervals', async () => {
  const h = await startHarness(newJobController);
  h.client.seed(JOBS, job({ completions: 4, parallelism: 3, completionMode: 'Indexed' }));
  try {
    await h.idle();
    const pods = podsOf(h.client);
    const byIndex = new Map(pods.map((p) => [p.metadata.annotations['batch.kubernetes.io/job-completion-index'], p]));
    assert.deepEqual([...byIndex.keys()].sort(), ['0', '1', '2']);
    const p1 = byIndex.get('1')!;
    assert.match(p1.metadata.name!, /^pi-1-/);
    assert.equal(p1.metadata.labels['batch.kubernetes.io/job-completion-index'], '1');
    assert.equal(p1.spec.hostname, 'pi-1');
    assert.deepEqual(p1.spec.containers[0].env, [{ name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } }]);
    await setPodStatus(h.client, byIndex.get('0')!, { phase: 'Succeeded' });
    await setPodStatus(h.client, byIndex.get('2')!, { phase: 'Succeeded' });
    await h.idle();
    let cur = one(h.client, JOBS);
    assert.equal(cur.status.completedIndexes, '0,2');
    assert.equal(cur.status.succeeded, 2);
    const next = live(podsOf(h.client)).map((p) => p.metadata.annotations['batch.kubernetes.io/job-completion-index']).sort();
    assert.deepEqual(next, ['1', '3'], 'the lowest pending index is taken');
    for (const p of live(podsOf(h.client))) await setPodStatus(h.client, p, { phase: 'Succeeded' });
    await h.idle();
    cur = one(h.client, JOBS);
    assert.equal(cur.status.completedIndexes, '0-3');
    assert.deepEqual(types(cur), ['SuccessCriteriaMet=True:CompletionsReached', 'Complete=True:CompletionsReached']);
  } finally {
    await h.stop();
  }
});

test('podFailurePolicy FailJob on exit code 42 fails the Job at once and deletes the other pods; Ignore does not count', async () => {
  const h = await startHarness(newJobController);
  const podFailurePolicy = {
    rules: [
      { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
      { action: 'FailJob', onExitCodes: { containerName: 'c', operator: 'In', values: [42] } },
    ],
  };
  h.client.seed(JOBS, job({ parallelism: 2, completions: 2, backoffLimit: 0, podFailurePolicy }));
  try {
    await h.idle();
    const [a, b] = podsOf(h.client);
    await setPodStatus(h.client, a!, { phase: 'Failed', conditions: [{ type: 'DisruptionTarget', status: 'True' }] });
    await h.idle();
    let cur = one(h.client, JOBS);
    assert.equal(cur.status.failed ?? 0, 0, 'an ignored failure is not counted against backoffLimit 0');
    assert.deepEqual(types(cur), []);
    await setPodStatus(h.client, b!, { phase: 'Failed', containerStatuses: [{ name: 'c', state: { terminated: { exitCode: 42, finishedAt: '2026-01-01T10:00:00Z' } } }] });
    await h.idle();
    cur = one(h.client, JOBS);
    const msg = `Container c for pod default/${b!.metadata.name} failed with exit code 42 matching FailJob rule at index 1`;
    assert.deepEqual(types(cur), ['FailureTarget=True:PodFailurePolicy', 'Failed=True:PodFailurePolicy']);
    assert.equal(cur.status.conditions[1].message, msg);
    assert.equal(cur.status.failed, 1);
    assert.equal(live(podsOf(h.client)).length, 0, 'the replacement of the ignored pod is deleted');
    assert.ok(eventsOf(h.client).includes(`Warning PodFailurePolicy ${msg}`));
    for (const p of podsOf(h.client)) assert.deepEqual(p.metadata.finalizers ?? [], []);
  } finally {
    await h.stop();
  }
});

test('activeDeadlineSeconds: the Job fails with DeadlineExceeded when the deadline passes, its pod deleted', async () => {
  const h = await startHarness(newJobController);
  h.client.seed(JOBS, job({ activeDeadlineSeconds: 30 }));
  try {
    await h.idle();
    assert.equal(live(podsOf(h.client)).length, 1);
    await h.advance(29_000);
    assert.deepEqual(types(one(h.client, JOBS)), []);
    await h.advance(2000);
    const cur = one(h.client, JOBS);
    assert.deepEqual(types(cur), ['FailureTarget=True:DeadlineExceeded', 'Failed=True:DeadlineExceeded']);
    assert.equal(cur.status.conditions[1].message, 'Job was active longer than specified deadline');
    assert.equal(podsOf(h.client).length, 0, 'the pod lost its finalizer and is gone');
  } finally {
    await h.stop();
  }
});

test('suspend deletes the active pods and sets Suspended; resuming creates them again', async () => {
  const h = await startHarness(newJobController);
  h.client.seed(JOBS, job({ parallelism: 2, completions: 4 }));
  try {
    await h.idle();
    assert.equal(live(podsOf(h.client)).length, 2);
    const cur = one(h.client, JOBS);
    await h.client.update(JOBS, 'default', { ...cur, spec: { ...cur.spec, suspend: true } });
    await h.idle();
    assert.equal(podsOf(h.client).length, 0);
    let j = one(h.client, JOBS);
    assert.deepEqual(types(j), ['Suspended=True:JobSuspended']);
    assert.equal(j.status.active, 0);
    await h.client.update(JOBS, 'default', { ...j, spec: { ...j.spec, suspend: false } });
    await h.idle();
    assert.equal(live(podsOf(h.client)).length, 2);
    j = one(h.client, JOBS);
    assert.deepEqual(types(j), ['Suspended=False:JobResumed']);
    assert.ok(eventsOf(h.client).includes('Normal Suspended Job suspended'));
    assert.ok(eventsOf(h.client).includes('Normal Resumed Job resumed'));
  } finally {
    await h.stop();
  }
});
