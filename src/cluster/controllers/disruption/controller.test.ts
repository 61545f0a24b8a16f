/** The disruption controller against the fake client and the real shared informers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeApiClient, fakeInformerFactory } from '../../client/fake.ts';
import { FakeClock } from '../../client/fake-clock.ts';
import { resources } from '../../client/resources.ts';
import type { K8sObject } from '../../client/types.ts';
import { ManualQueue, settle } from '../test-support.ts';
import { PODS } from '../resources.ts';
import { newDisruptionController } from './controller.ts';
import { pod, readyStatus } from '../endpoints/fixtures.test-support.ts';

const silent = { error() {} };
const PDBS = resources.poddisruptionbudgets;

async function start(client: FakeApiClient, clock = new FakeClock()) {
  const informers = fakeInformerFactory(client);
  const queue = new ManualQueue();
  const c = newDisruptionController({ client, informers, queue, log: silent, now: clock.now });
  informers.start();
  c.run(2);
  await settle([queue]);
  return { queue, stop: async () => { await c.stop(); informers.stop(); } };
}

function budget(spec: Record<string, any>, status?: Record<string, any>): K8sObject {
  return { metadata: { name: 'pdb', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'web' } }, ...spec }, ...(status ? { status } : {}) };
}

const statusOf = (client: FakeApiClient) => client.stored<K8sObject>(PDBS, 'default')[0]!.status;

function seedReplicaSet(client: FakeApiClient, replicas: number, deployment?: K8sObject): K8sObject {
  const owner = deployment ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name, uid: deployment.metadata.uid, controller: true }] } : {};
  return client.seed(resources.replicasets, { metadata: { name: 'web-rs', namespace: 'default', ...owner }, spec: { replicas, selector: { matchLabels: { app: 'web' } } } });
}

test('minAvailable 2 over 3 ready pods allows 1 disruption; a pod turning unready makes it 0', async () => {
  const client = new FakeApiClient();
  const rs = seedReplicaSet(client, 3);
  for (const n of ['a', 'b', 'c']) client.seed(PODS, pod(n, 'web', `10.1.0.${n.charCodeAt(0)}`, true, { owner: rs }));
  client.seed(PDBS, budget({ minAvailable: 2 }));
  const { queue, stop } = await start(client);
  try {
    let st = statusOf(client);
    assert.deepEqual(
      { ...st, conditions: undefined },
      { currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, disruptionsAllowed: 1, observedGeneration: 1, conditions: undefined },
    );
    assert.deepEqual(st.conditions, [{ type: 'DisruptionAllowed', status: 'True', observedGeneration: 1, reason: 'SufficientPods', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' }]);
    const a = client.stored<K8sObject>(PODS, 'default').find((p) => p.metadata.name === 'a')!;
    await client.update(PODS, 'default', { ...a, status: readyStatus('10.1.0.97', false) }, 'status');
    await settle([queue]);
    st = statusOf(client);
    assert.equal(st.currentHealthy, 2);
    assert.equal(st.disruptionsAllowed, 0);
    assert.equal(st.conditions[0].status, 'False');
    assert.equal(st.conditions[0].reason, 'InsufficientPods');
    const writes = client.writes().length;
    queue.add('default/pdb');
    await settle([queue]);
    assert.equal(client.writes().length, writes, 'a second sync writes nothing');
  } finally {
    await stop();
  }
});

test('maxUnavailable 50% counts the Deployment scale behind the ReplicaSet, rounding up', async () => {
  const client = new FakeApiClient();
  const d = client.seed(resources.deployments, { metadata: { name: 'web', namespace: 'default' }, spec: { replicas: 5, selector: { matchLabels: { app: 'web' } } } });
  const rs = seedReplicaSet(client, 4, d);
  for (const n of ['a', 'b', 'c', 'd']) client.seed(PODS, pod(n, 'web', `10.1.0.${n.charCodeAt(0)}`, true, { owner: rs }));
  client.seed(PDBS, budget({ maxUnavailable: '50%' }));
  const { stop } = await start(client);
  try {
    const st = statusOf(client);
    // expected 5 (the Deployment), maxUnavailable ceil(2.5) = 3, desired 2; 4 healthy → 2 allowed.
    assert.deepEqual([st.expectedPods, st.desiredHealthy, st.currentHealthy, st.disruptionsAllowed], [5, 2, 4, 2]);
  } finally {
    await stop();
  }
});

test('a pod whose controller cannot be found: fail-safe status, nothing allowed, SyncFailed', async () => {
  const client = new FakeApiClient();
  const ghost = { metadata: { name: 'gone', uid: '00000000-0000-0000-0000-000000000001' } } as K8sObject;
  client.seed(PODS, pod('a', 'web', '10.1.0.1', true, { owner: ghost }));
  client.seed(PDBS, budget({ minAvailable: '50%' }, { disruptionsAllowed: 3, observedGeneration: 1 }));
  const { stop } = await start(client);
  try {
    const st = statusOf(client);
    assert.equal(st.disruptionsAllowed, 0);
    assert.equal(st.conditions[0].reason, 'SyncFailed');
    assert.equal(st.conditions[0].message, 'found no controllers for pod "a"');
  } finally {
    await stop();
  }
});

test('disruptedPods: a fresh eviction keeps its pod out of the healthy count until 2 minutes pass, then the entry is dropped', async () => {
  const clock = new FakeClock();
  const client = new FakeApiClient();
  const rs = seedReplicaSet(client, 3);
  for (const n of ['a', 'b', 'c']) client.seed(PODS, pod(n, 'web', `10.1.0.${n.charCodeAt(0)}`, true, { owner: rs }));
  client.seed(PDBS, budget({ minAvailable: 1 }, { disruptedPods: { a: '2025-12-31T23:59:30Z', gone: '2025-12-31T23:59:30Z' } }));
  const { queue, stop } = await start(client, clock);
  try {
    let st = statusOf(client);
    assert.deepEqual(st.disruptedPods, { a: '2025-12-31T23:59:30Z' });
    assert.equal(st.currentHealthy, 2);
    assert.equal(st.disruptionsAllowed, 1);
    assert.ok(queue.delayed.has('default/pdb'), 'rechecked when the entry expires');
    await clock.advance(2 * 60 * 1000);
    queue.releaseDelayed();
    await settle([queue]);
    st = statusOf(client);
    assert.equal(st.disruptedPods, undefined);
    assert.equal(st.currentHealthy, 3);
    assert.equal(st.disruptionsAllowed, 2);
  } finally {
    await stop();
  }
});
