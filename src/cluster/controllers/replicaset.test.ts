/** The ReplicaSet controller against the fake client and the real shared informers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeApiClient, fakeInformerFactory } from '../client/fake.ts';
import { ApiStatusError } from '../client/errors.ts';
import type { K8sObject } from '../client/types.ts';
import { newReplicaSetController } from './replicaset.ts';
import { EVENTS, PODS, REPLICA_SETS } from './resources.ts';
import { ManualQueue, settle } from './test-support.ts';
import { RateLimitedQueue } from '../client/work-queue.ts';

const silent = { error() {} };

function replicaSet(replicas: number): K8sObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web', namespace: 'default' },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
  };
}

async function start(client: FakeApiClient) {
  const informers = fakeInformerFactory(client);
  const queue = new ManualQueue();
  const c = newReplicaSetController({ client, informers, queue, log: silent });
  informers.start();
  c.run(2);
  await settle([queue]);
  return { queue, stop: async () => { await c.stop(); informers.stop(); } };
}

const owned = (client: FakeApiClient) => client.stored<K8sObject>(PODS, 'default').filter((p) => !p.metadata.deletionTimestamp);

test('creates the missing pods with generateName, controllerRef and events, then reports status', async () => {
  const client = new FakeApiClient();
  const rs = client.seed(REPLICA_SETS, replicaSet(3));
  const { stop } = await start(client);
  try {
    const pods = owned(client);
    assert.equal(pods.length, 3);
    for (const p of pods) {
      assert.match(p.metadata.name!, /^web-/);
      assert.deepEqual(p.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true }]);
      assert.deepEqual(p.metadata.labels, { app: 'web' });
    }
    const creates = client.writes().filter((a) => a.verb === 'create' && a.resource.resource === 'pods');
    assert.equal(creates.length, 3, 'no double creates while the watch catches up');
    const events = client.stored<K8sObject>(EVENTS, 'default').map((e) => `${e.type} ${e.reason} ${e.message}`).sort();
    assert.deepEqual(events, pods.map((p) => `Normal SuccessfulCreate Created pod: ${p.metadata.name}`).sort());
    const [cur] = client.stored<K8sObject>(REPLICA_SETS, 'default');
    assert.equal(cur!.status.replicas, 3);
    assert.equal(cur!.status.readyReplicas, 0);
    assert.equal(cur!.status.observedGeneration, cur!.metadata.generation);
  } finally {
    await stop();
  }
});

test('deletes the surplus, not-ready pods first, and adopts a matching orphan', async () => {
  const client = new FakeApiClient();
  const rs = client.seed(REPLICA_SETS, replicaSet(2));
  const ref = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true };
  const ready = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }] };
  for (const name of ['a', 'b']) client.seed(PODS, { metadata: { name, namespace: 'default', labels: { app: 'web' }, ownerReferences: [ref] }, spec: { nodeName: `n-${name}` }, status: ready });
  client.seed(PODS, { metadata: { name: 'pending', namespace: 'default', labels: { app: 'web' }, ownerReferences: [ref] }, spec: {}, status: { phase: 'Pending' } });
  client.seed(PODS, { metadata: { name: 'orphan', namespace: 'default', labels: { app: 'web' } }, spec: { nodeName: 'n-o' }, status: { phase: 'Pending' } });
  const { stop } = await start(client);
  try {
    const names = owned(client).map((p) => p.metadata.name).sort();
    assert.deepEqual(names, ['a', 'b']);
    const deletes = client.writes().filter((a) => a.verb === 'delete').map((a) => a.name).sort();
    assert.deepEqual(deletes, ['orphan', 'pending']);
    const patch = client.writes().find((a) => a.verb === 'patch' && a.name === 'orphan');
    assert.ok(patch, 'the orphan was adopted before the count');
    const [cur] = client.stored<K8sObject>(REPLICA_SETS, 'default');
    assert.equal(cur!.status.replicas, 2);
    assert.equal(cur!.status.readyReplicas, 2);
    assert.equal(cur!.status.availableReplicas, 2);
  } finally {
    await stop();
  }
});

test('a quota refusal is one attempt per sync, a FailedCreate event and the ReplicaFailure condition; it clears once creates succeed', async () => {
  const client = new FakeApiClient();
  client.seed(REPLICA_SETS, replicaSet(4));
  const msg = 'pods "web-x" is forbidden: exceeded quota: q, requested: pods=1, used: pods=0, limited: pods=0';
  const remove = client.addReactor((a) => (a.verb === 'create' && a.resource.resource === 'pods' ? new ApiStatusError(403, 'Forbidden', msg) : undefined));
  const { queue, stop } = await start(client);
  try {
    // Slow start: each sync tries one create, not four. The status write is itself an update event
    // that enqueues the ReplicaSet once more (as upstream's updateRS), so two syncs ran.
    assert.equal(client.actions.filter((a) => a.verb === 'create' && a.resource.resource === 'pods').length, 2);
    const [cur] = client.stored<K8sObject>(REPLICA_SETS, 'default');
    const cond = cur!.status.conditions.find((c: { type: string }) => c.type === 'ReplicaFailure');
    assert.equal(cond.reason, 'FailedCreate');
    assert.equal(cond.message, msg);
    const ev = client.stored<K8sObject>(EVENTS, 'default').find((e) => e.reason === 'FailedCreate');
    assert.equal(ev?.message, `Error creating: ${msg}`);
    assert.equal(ev?.type, 'Warning');
    assert.ok(queue.rateLimited.has('default/web'), 'the error requeues rate-limited');
    remove();
    queue.releaseDelayed();
    await settle([queue]);
    assert.equal(owned(client).length, 4);
    const [after] = client.stored<K8sObject>(REPLICA_SETS, 'default');
    assert.equal(after!.status.conditions, undefined);
  } finally {
    await stop();
  }
});

test('runs on the client library\'s rate-limited work queue and scales down when spec.replicas drops', async () => {
  const client = new FakeApiClient();
  client.seed(REPLICA_SETS, replicaSet(3));
  const informers = fakeInformerFactory(client);
  const queue = new RateLimitedQueue({ name: 'replicaset' });
  const c = newReplicaSetController({ client, informers, queue, log: silent });
  informers.start();
  c.run(2);
  const until = async (what: string, ok: () => boolean) => {
    for (let i = 0; i < 20_000 && !ok(); i++) await new Promise((r) => setImmediate(r));
    assert.ok(ok(), what);
  };
  try {
    await until('3 pods', () => owned(client).length === 3);
    const [cur] = client.stored<K8sObject>(REPLICA_SETS, 'default');
    await client.update(REPLICA_SETS, 'default', { ...cur!, spec: { ...cur!.spec, replicas: 1 } });
    await until('1 pod', () => owned(client).length === 1);
    await until('status', () => client.stored<K8sObject>(REPLICA_SETS, 'default')[0]!.status?.replicas === 1);
    await until('2 SuccessfulDelete events', () => client.stored<K8sObject>(EVENTS, 'default').filter((e) => e.reason === 'SuccessfulDelete').length === 2);
  } finally {
    await c.stop();
    informers.stop();
  }
});
