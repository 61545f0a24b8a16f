/** The StatefulSet controller against the fake client and the real shared informers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeApiClient, fakeInformerFactory } from '../../client/fake.ts';
import type { K8sObject } from '../../client/types.ts';
import { CONTROLLER_REVISIONS } from '../history.ts';
import { EVENTS, PODS } from '../resources.ts';
import { ManualQueue, settle } from '../test-support.ts';
import { newStatefulSetController } from './controller.ts';
import { PVCS, STATEFUL_SETS } from './resources.ts';

const silent = { error() {} };

function statefulSet(replicas: number, spec: Record<string, unknown> = {}): K8sObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas,
      serviceName: 'web',
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } },
      ...spec,
    },
  };
}

async function start(client: FakeApiClient) {
  const informers = fakeInformerFactory(client);
  const queue = new ManualQueue();
  const c = newStatefulSetController({ client, informers, queue, log: silent, now: () => Date.parse('2026-01-01T00:00:10Z') });
  informers.start();
  c.run(2);
  await settle([queue]);
  return { queue, stop: async () => { await c.stop(); informers.stop(); } };
}

const live = (client: FakeApiClient) => client.stored<K8sObject>(PODS, 'default').filter((p) => !p.metadata.deletionTimestamp);
const names = (objs: K8sObject[]) => objs.map((o) => o.metadata.name).sort();

async function markReady(client: FakeApiClient, name: string): Promise<void> {
  const pod = await client.get<K8sObject>(PODS, 'default', name);
  pod.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }] };
  await client.update(PODS, 'default', pod, 'status');
}

async function markAllReady(client: FakeApiClient, queue: ManualQueue): Promise<void> {
  for (const p of live(client)) if (p.status?.phase !== 'Running') await markReady(client, p.metadata.name!);
  await settle([queue]);
}

test('OrderedReady creates web-0 with its claim and identity, and web-1 only once web-0 is Running and Ready', async () => {
  const client = new FakeApiClient();
  const set = client.seed(STATEFUL_SETS, statefulSet(2, { volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }] }));
  const { queue, stop } = await start(client);
  try {
    assert.deepEqual(names(live(client)), ['web-0']);
    assert.deepEqual(names(client.stored(PVCS, 'default')), ['www-web-0']);
    const claimCreate = client.writes().findIndex((a) => a.verb === 'create' && a.resource.resource === 'persistentvolumeclaims');
    const podCreate = client.writes().findIndex((a) => a.verb === 'create' && a.resource.resource === 'pods');
    assert.ok(claimCreate >= 0 && claimCreate < podCreate, 'the claim is created before the pod');
    const [pvc] = client.stored<K8sObject>(PVCS, 'default');
    assert.deepEqual(pvc!.metadata.labels, { app: 'web' });
    assert.equal(pvc!.metadata.ownerReferences, undefined, 'Retain (the default) leaves the claim unowned');

    const [pod] = live(client);
    const [rev] = client.stored<K8sObject>(CONTROLLER_REVISIONS, 'default');
    assert.equal(rev!.revision, 1);
    assert.equal(rev!.metadata.name, `web-${rev!.metadata.labels['controller-revision-hash']}`);
    assert.equal(rev!.data.spec.template.$patch, 'replace');
    assert.equal(rev!.metadata.ownerReferences[0].uid, set.metadata.uid);
    assert.equal(pod!.spec.hostname, 'web-0');
    assert.equal(pod!.spec.subdomain, 'web');
    assert.deepEqual(pod!.metadata.labels, { app: 'web', 'statefulset.kubernetes.io/pod-name': 'web-0', 'apps.kubernetes.io/pod-index': '0', 'controller-revision-hash': rev!.metadata.name });
    assert.deepEqual(pod!.spec.volumes, [{ name: 'www', persistentVolumeClaim: { claimName: 'www-web-0' } }]);
    assert.equal(pod!.metadata.ownerReferences[0].uid, set.metadata.uid);

    // Pending, not ready: still one pod.
    const p0 = await client.get<K8sObject>(PODS, 'default', 'web-0');
    p0.status = { phase: 'Pending' };
    await client.update(PODS, 'default', p0, 'status');
    await settle([queue]);
    assert.deepEqual(names(live(client)), ['web-0']);

    await markReady(client, 'web-0');
    await settle([queue]);
    assert.deepEqual(names(live(client)), ['web-0', 'web-1']);
    assert.deepEqual(names(client.stored(PVCS, 'default')), ['www-web-0', 'www-web-1']);
    await markReady(client, 'web-1');
    await settle([queue]);
    const [cur] = client.stored<K8sObject>(STATEFUL_SETS, 'default');
    assert.equal(cur!.status.replicas, 2);
    assert.equal(cur!.status.readyReplicas, 2);
    assert.equal(cur!.status.availableReplicas, 2);
    assert.equal(cur!.status.currentRevision, rev!.metadata.name);
    assert.equal(cur!.status.updateRevision, rev!.metadata.name);
    assert.equal(cur!.status.observedGeneration, cur!.metadata.generation);
    assert.equal(cur!.status.collisionCount, 0);
    const events = client.stored<K8sObject>(EVENTS, 'default').map((e) => e.message).sort();
    assert.deepEqual(events, [
      'create Claim www-web-0 Pod web-0 in StatefulSet web success',
      'create Claim www-web-1 Pod web-1 in StatefulSet web success',
      'create Pod web-0 in StatefulSet web successful',
      'create Pod web-1 in StatefulSet web successful',
    ]);
  } finally {
    await stop();
  }
});

test('scale-down removes the highest ordinal first and waits for it to go; whenScaled=Delete hands its claim to the pod', async () => {
  const client = new FakeApiClient();
  const seeded = statefulSet(3, {
    volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: {} }],
    persistentVolumeClaimRetentionPolicy: { whenScaled: 'Delete', whenDeleted: 'Retain' },
  });
  // A finalizer keeps a deleted pod terminating until the test lets it go, as a kubelet would.
  seeded.spec.template.metadata.finalizers = ['test/keep'];
  client.seed(STATEFUL_SETS, seeded);
  const { queue, stop } = await start(client);
  const release = async (name: string) => {
    const pod = await client.get<K8sObject>(PODS, 'default', name);
    pod.metadata.finalizers = [];
    await client.update(PODS, 'default', pod);
    await settle([queue]);
  };
  try {
    for (let i = 0; i < 3; i++) await markAllReady(client, queue);
    assert.deepEqual(names(live(client)), ['web-0', 'web-1', 'web-2']);
    const set = await client.get<K8sObject>(STATEFUL_SETS, 'default', 'web');
    set.spec.replicas = 1;
    await client.update(STATEFUL_SETS, 'default', set);
    await settle([queue]);
    assert.deepEqual(names(live(client)), ['web-0', 'web-1'], 'web-1 waits while web-2 terminates');
    const claimOwner = (n: string) => client.stored<K8sObject>(PVCS, 'default').find((c) => c.metadata.name === n)!.metadata.ownerReferences;
    assert.deepEqual(claimOwner('www-web-2')?.map((r: K8sObject) => `${r.kind}/${r.name}`), ['Pod/web-2']);
    assert.deepEqual(claimOwner('www-web-1')?.map((r: K8sObject) => `${r.kind}/${r.name}`), ['Pod/web-1']);
    assert.equal(claimOwner('www-web-0'), undefined, 'a claim in range stays unowned');
    await release('web-2');
    assert.deepEqual(names(live(client)), ['web-0']);
    const deletes = client.writes().filter((a) => a.verb === 'delete' && a.resource.resource === 'pods').map((a) => a.name);
    assert.deepEqual(deletes, ['web-2', 'web-1']);
  } finally {
    await stop();
  }
});

test('RollingUpdate replaces pods in reverse ordinal order down to the partition', async () => {
  const client = new FakeApiClient();
  client.seed(STATEFUL_SETS, statefulSet(3));
  const { queue, stop } = await start(client);
  try {
    for (let i = 0; i < 3; i++) await markAllReady(client, queue);
    const oldRev = (await client.get<K8sObject>(STATEFUL_SETS, 'default', 'web')).status.currentRevision;
    const set = await client.get<K8sObject>(STATEFUL_SETS, 'default', 'web');
    set.spec.template.spec.containers[0].image = 'nginx:2';
    set.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition: 1 } };
    await client.update(STATEFUL_SETS, 'default', set);
    await settle([queue]);
    for (let i = 0; i < 4; i++) await markAllReady(client, queue);
    const deletes = client.writes().filter((a) => a.verb === 'delete' && a.resource.resource === 'pods').map((a) => a.name);
    assert.deepEqual(deletes, ['web-2', 'web-1'], 'newest ordinal first, web-0 is below the partition');
    const image = (n: string) => live(client).find((p) => p.metadata.name === n)!.spec.containers[0].image;
    assert.deepEqual([image('web-0'), image('web-1'), image('web-2')], ['nginx:1', 'nginx:2', 'nginx:2']);
    const cur = await client.get<K8sObject>(STATEFUL_SETS, 'default', 'web');
    assert.equal(cur.status.currentRevision, oldRev);
    assert.notEqual(cur.status.updateRevision, oldRev);
    assert.equal(cur.status.updatedReplicas, 2);
    assert.equal(cur.status.currentReplicas, 1);
    const revs = client.stored<K8sObject>(CONTROLLER_REVISIONS, 'default').map((r) => r.revision).sort();
    assert.deepEqual(revs, [1, 2]);

    // Partition 0 finishes the rollout: web-0 goes, and the update revision becomes current.
    cur.spec.updateStrategy.rollingUpdate.partition = 0;
    await client.update(STATEFUL_SETS, 'default', cur);
    await settle([queue]);
    for (let i = 0; i < 2; i++) await markAllReady(client, queue);
    assert.equal(image('web-0'), 'nginx:2');
    const done = await client.get<K8sObject>(STATEFUL_SETS, 'default', 'web');
    assert.equal(done.status.currentRevision, done.status.updateRevision);
    assert.equal(done.status.currentReplicas, 3);
  } finally {
    await stop();
  }
});

test('Parallel creates every pod at once, without waiting for readiness', async () => {
  const client = new FakeApiClient();
  client.seed(STATEFUL_SETS, statefulSet(3, { podManagementPolicy: 'Parallel' }));
  const { stop } = await start(client);
  try {
    assert.deepEqual(names(live(client)), ['web-0', 'web-1', 'web-2']);
    assert.equal(client.writes().filter((a) => a.verb === 'create' && a.resource.resource === 'pods').length, 3);
  } finally {
    await stop();
  }
});

test('OnDelete leaves outdated pods alone until they are deleted', async () => {
  const client = new FakeApiClient();
  client.seed(STATEFUL_SETS, statefulSet(2, { updateStrategy: { type: 'OnDelete' } }));
  const { queue, stop } = await start(client);
  try {
    for (let i = 0; i < 2; i++) await markAllReady(client, queue);
    const set = await client.get<K8sObject>(STATEFUL_SETS, 'default', 'web');
    set.spec.template.spec.containers[0].image = 'nginx:2';
    await client.update(STATEFUL_SETS, 'default', set);
    await settle([queue]);
    assert.equal(client.writes().filter((a) => a.verb === 'delete').length, 0);
    await client.delete(PODS, 'default', 'web-1');
    await settle([queue]);
    const image = (n: string) => live(client).find((p) => p.metadata.name === n)!.spec.containers[0].image;
    assert.deepEqual([image('web-0'), image('web-1')], ['nginx:1', 'nginx:2']);
  } finally {
    await stop();
  }
});
