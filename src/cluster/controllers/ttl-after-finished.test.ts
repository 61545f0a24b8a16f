/** The TTL-after-finished controller on the fake client and a fake clock. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { K8sObject } from '../client/types.ts';
import { JOBS } from './job/job-pod.ts';
import { startHarness } from './job/test-harness.ts';
import { newTtlAfterFinishedController } from './ttl-after-finished.ts';

function finishedJob(name: string, ttl: number | undefined, type = 'Complete'): K8sObject {
  return {
    metadata: { name, namespace: 'default' },
    spec: { ...(ttl === undefined ? {} : { ttlSecondsAfterFinished: ttl }), template: {} },
    status: { conditions: [{ type, status: 'True', lastTransitionTime: '2026-01-01T10:00:00Z' }] },
  };
}

const deletes = (h: { client: { writes(): Array<{ verb: string; name: string; object?: unknown }> } }) => h.client.writes().filter((a) => a.verb === 'delete');

test('a finished Job is deleted (foreground, resourceVersion precondition) once its TTL has passed, not before', async () => {
  const h = await startHarness(newTtlAfterFinishedController);
  try {
    h.client.seed(JOBS, finishedJob('done', 60));
    h.client.seed(JOBS, finishedJob('failed', 0, 'Failed'));
    h.client.seed(JOBS, finishedJob('keep', undefined));
    h.client.seed(JOBS, { metadata: { name: 'running', namespace: 'default' }, spec: { ttlSecondsAfterFinished: 0, template: {} } });
    await h.idle();
    assert.deepEqual(deletes(h).map((a) => a.name), ['failed'], 'TTL 0 deletes at once');
    await h.advance(59_000);
    assert.deepEqual(deletes(h).map((a) => a.name), ['failed']);
    await h.advance(1000);
    const d = deletes(h);
    assert.deepEqual(d.map((a) => a.name), ['failed', 'done']);
    const done = h.client.stored<K8sObject>(JOBS, 'default').find((j) => j.metadata.name === 'done')!;
    const opts = d[1]!.object as { propagationPolicy: string; preconditions: { resourceVersion: string } };
    assert.equal(opts.propagationPolicy, 'Foreground');
    assert.match(opts.preconditions.resourceVersion, /^\d+$/);
    assert.ok(done.metadata.deletionTimestamp, 'the Job is being deleted');
  } finally {
    await h.stop();
  }
});

test('a TTL raised before it expired is honoured', async () => {
  const h = await startHarness(newTtlAfterFinishedController);
  try {
    const j = h.client.seed(JOBS, finishedJob('done', 10));
    await h.idle();
    await h.client.update(JOBS, 'default', { ...j, spec: { ...j.spec, ttlSecondsAfterFinished: 100 } });
    await h.advance(11_000);
    assert.equal(deletes(h).length, 0);
    await h.advance(90_000);
    assert.equal(deletes(h).length, 1);
  } finally {
    await h.stop();
  }
});
