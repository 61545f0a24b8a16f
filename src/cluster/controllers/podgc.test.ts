/** The pod garbage collector against the fake client and the real shared informers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeApiClient, fakeInformerFactory } from '../client/fake.ts';
import { FakeClock } from '../client/fake-clock.ts';
import { resources } from '../client/resources.ts';
import type { K8sObject } from '../client/types.ts';
import { newPodGCController } from './podgc.ts';
import { PODS } from './resources.ts';
import { ManualQueue, settle } from './test-support.ts';

const silent = { error() {} };

async function start(client: FakeApiClient, terminatedPodThreshold?: number) {
  const informers = fakeInformerFactory(client);
  const queue = new ManualQueue();
  const clock = new FakeClock();
  const c = newPodGCController({ client, informers, queue, log: silent, now: clock.now, timers: clock, terminatedPodThreshold });
  informers.start();
  await Promise.all([informers.informer(PODS).synced(), informers.informer(resources.nodes).synced()]);
  return { c, queue, stop: async () => { await c.stop(); informers.stop(); } };
}

const podNames = (client: FakeApiClient) => client.stored<K8sObject>(PODS, 'default').map((p) => p.metadata.name).sort();

test('a pod bound to a deleted node: quarantined first, then marked Failed with DisruptionTarget and force-deleted', async () => {
  const client = new FakeApiClient();
  client.seed(resources.nodes, { metadata: { name: 'alive' } });
  client.seed(PODS, { metadata: { name: 'orphan', namespace: 'default' }, spec: { nodeName: 'gone' }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } });
  client.seed(PODS, { metadata: { name: 'fine', namespace: 'default' }, spec: { nodeName: 'alive' }, status: { phase: 'Running' } });
  const { c, queue, stop } = await start(client);
  try {
    await c.gc();
    assert.deepEqual(podNames(client), ['fine', 'orphan'], 'not before the quarantine');
    assert.ok(queue.delayed.has('gone'));
    queue.releaseDelayed();
    await c.gc();
    await settle([queue]);
    assert.deepEqual(podNames(client), ['fine']);
    const patch = client.writes().find((w) => w.verb === 'patch' && w.name === 'orphan')!;
    assert.equal(patch.subresource, 'status');
    const ops = patch.object as Array<{ path: string; value: any }>;
    assert.equal(ops.find((o) => o.path === '/status/phase')!.value, 'Failed');
    assert.deepEqual(ops.find((o) => o.path === '/status/conditions')!.value, [
      { type: 'Ready', status: 'True' },
      { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists', lastTransitionTime: '2026-01-01T00:00:00Z' },
    ]);
    const del = client.writes().find((w) => w.verb === 'delete' && w.name === 'orphan')!;
    assert.equal((del.object as { gracePeriodSeconds: number }).gracePeriodSeconds, 0);
  } finally {
    await stop();
  }
});

test('a node that comes back during the quarantine keeps its pods', async () => {
  const client = new FakeApiClient();
  client.seed(PODS, { metadata: { name: 'p', namespace: 'default' }, spec: { nodeName: 'flaky' }, status: { phase: 'Running' } });
  const { c, queue, stop } = await start(client);
  try {
    await c.gc();
    client.seed(resources.nodes, { metadata: { name: 'flaky' } });
    queue.releaseDelayed();
    await c.gc();
    assert.deepEqual(podNames(client), ['p']);
  } finally {
    await stop();
  }
});

test('terminated pods above the threshold go, evicted first, then oldest; unscheduled terminating pods go', async () => {
  let t = Date.UTC(2026, 0, 1);
  const client = new FakeApiClient({ now: () => new Date((t += 1000)) });
  client.seed(resources.nodes, { metadata: { name: 'n' } });
  for (const name of ['old', 'mid', 'new']) client.seed(PODS, { metadata: { name, namespace: 'default' }, spec: { nodeName: 'n' }, status: { phase: 'Succeeded' } });
  client.seed(PODS, { metadata: { name: 'evicted', namespace: 'default' }, spec: { nodeName: 'n' }, status: { phase: 'Failed', reason: 'Evicted' } });
  client.seed(PODS, { metadata: { name: 'running', namespace: 'default' }, spec: { nodeName: 'n' }, status: { phase: 'Running' } });
  client.seed(PODS, { metadata: { name: 'pending', namespace: 'default', finalizers: ['x/hold'] }, spec: {}, status: { phase: 'Pending' } });
  await client.delete(PODS, 'default', 'pending');
  const { c, stop } = await start(client, 2);
  try {
    await c.gc();
    assert.deepEqual(podNames(client), ['mid', 'new', 'pending', 'running']);
    const deletes = client.writes().filter((w) => w.verb === 'delete').map((w) => w.name).sort();
    assert.deepEqual(deletes, ['evicted', 'old', 'pending', 'pending']);
    const patched = client.writes().filter((w) => w.verb === 'patch').map((w) => w.name);
    assert.deepEqual(patched, ['pending'], 'only the non-terminal pod is marked Failed');
  } finally {
    await stop();
  }
});

test('run() collects once the caches are in and again every 20 s', async () => {
  const client = new FakeApiClient();
  const informers = fakeInformerFactory(client);
  const queue = new ManualQueue();
  const clock = new FakeClock();
  const c = newPodGCController({ client, informers, queue, log: silent, now: clock.now, timers: clock });
  client.seed(PODS, { metadata: { name: 'a', namespace: 'default', finalizers: ['x/hold'] }, spec: {}, status: { phase: 'Pending' } });
  await client.delete(PODS, 'default', 'a');
  informers.start();
  c.run(1);
  try {
    await clock.advance(0);
    const deletes = () => client.writes().filter((w) => w.verb === 'delete').length;
    assert.equal(deletes(), 2, 'the first pass ran');
    await clock.advance(19_000);
    assert.equal(deletes(), 2);
    await clock.advance(1_000);
    assert.equal(deletes(), 3, 'the next pass after 20 s');
  } finally {
    await c.stop();
    informers.stop();
  }
});
