/** The DaemonSet controller against the fake client and the real shared informers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeApiClient, fakeInformerFactory } from '../../client/fake.ts';
import type { K8sObject } from '../../client/types.ts';
import { PODS } from '../resources.ts';
import { ManualQueue, settle } from '../test-support.ts';
import { newDaemonSetController } from './controller.ts';
import { targetNodeName } from './eligibility.ts';
import { DAEMON_SETS, NODES } from './resources.ts';

const silent = { error() {} };

function daemonSet(): K8sObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'kube-system' },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'agent:1' }] } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
    },
  };
}

const node = (name: string, taints?: unknown[]): K8sObject => ({ metadata: { name, labels: { 'kubernetes.io/hostname': name } }, spec: taints ? { taints } : {} });

async function start(client: FakeApiClient) {
  const informers = fakeInformerFactory(client);
  const queue = new ManualQueue();
  const c = newDaemonSetController({ client, informers, queue, log: silent, now: () => Date.parse('2026-01-01T00:00:10Z') });
  informers.start();
  c.run(2);
  await settle([queue]);
  return { queue, stop: async () => { await c.stop(); informers.stop(); } };
}

const live = (client: FakeApiClient) => client.stored<K8sObject>(PODS, 'kube-system').filter((p) => !p.metadata.deletionTimestamp);
const placement = (client: FakeApiClient) => live(client).map((p) => targetNodeName(p)).sort();

async function markAllReady(client: FakeApiClient, queue: ManualQueue): Promise<void> {
  for (const p of live(client)) {
    if (p.status?.phase === 'Running') continue;
    p.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }] };
    await client.update(PODS, 'kube-system', p, 'status');
  }
  await settle([queue]);
}

test('one pod per node, placed by node affinity on metadata.name, not on a node with an untolerated NoSchedule taint; a joining node gets one', async () => {
  const client = new FakeApiClient();
  client.seed(NODES, node('n1'));
  client.seed(NODES, node('n2'));
  client.seed(NODES, node('tainted', [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]));
  // Cordoned: the daemon tolerates node.kubernetes.io/unschedulable by default.
  client.seed(NODES, node('cordoned', [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }]));
  const ds = client.seed(DAEMON_SETS, daemonSet());
  const { queue, stop } = await start(client);
  try {
    assert.deepEqual(placement(client), ['cordoned', 'n1', 'n2']);
    const pod = live(client).find((p) => targetNodeName(p) === 'n1')!;
    assert.equal(pod.spec.nodeName, undefined, 'the scheduler binds it');
    assert.deepEqual(pod.spec.affinity, { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }] } } });
    assert.match(pod.metadata.name!, /^agent-/);
    assert.equal(pod.metadata.ownerReferences[0].uid, ds.metadata.uid);
    assert.ok(pod.metadata.labels['controller-revision-hash']);
    assert.deepEqual(pod.spec.tolerations.map((t: K8sObject) => `${t.key}:${t.effect}`), [
      'node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/disk-pressure:NoSchedule',
      'node.kubernetes.io/memory-pressure:NoSchedule', 'node.kubernetes.io/pid-pressure:NoSchedule', 'node.kubernetes.io/unschedulable:NoSchedule',
    ]);
    let cur = await client.get<K8sObject>(DAEMON_SETS, 'kube-system', 'agent');
    assert.equal(cur.status.desiredNumberScheduled, 3);
    assert.equal(cur.status.currentNumberScheduled, 3);
    assert.equal(cur.status.numberMisscheduled, 0);
    assert.equal(cur.status.numberUnavailable, 3);
    assert.equal(cur.status.observedGeneration, cur.metadata.generation);

    client.seed(NODES, node('n3'));
    await settle([queue]);
    assert.deepEqual(placement(client), ['cordoned', 'n1', 'n2', 'n3']);
    await markAllReady(client, queue);
    cur = await client.get<K8sObject>(DAEMON_SETS, 'kube-system', 'agent');
    assert.equal(cur.status.numberReady, 4);
    assert.equal(cur.status.numberAvailable, 4);
    assert.equal(cur.status.updatedNumberScheduled, 4);

    // A NoExecute taint the pod does not tolerate evicts the daemon from that node.
    const n2 = await client.get<K8sObject>(NODES, '', 'n2');
    n2.spec.taints = [{ key: 'maintenance', effect: 'NoExecute' }];
    await client.update(NODES, '', n2);
    await settle([queue]);
    assert.deepEqual(placement(client), ['cordoned', 'n1', 'n3']);
  } finally {
    await stop();
  }
});

test('RollingUpdate replaces one node\'s pod at a time (maxUnavailable 1) and records revisions', async () => {
  const client = new FakeApiClient();
  for (const n of ['n1', 'n2', 'n3']) client.seed(NODES, node(n));
  client.seed(DAEMON_SETS, daemonSet());
  const { queue, stop } = await start(client);
  try {
    await markAllReady(client, queue);
    const ds = await client.get<K8sObject>(DAEMON_SETS, 'kube-system', 'agent');
    ds.spec.template.spec.containers[0].image = 'agent:2';
    await client.update(DAEMON_SETS, 'kube-system', ds);
    await settle([queue]);
    const images = () => live(client).map((p) => p.spec.containers[0].image).sort();
    assert.deepEqual(images(), ['agent:1', 'agent:1', 'agent:2'], 'one old pod deleted and replaced; the others wait');
    await markAllReady(client, queue);
    assert.deepEqual(images(), ['agent:1', 'agent:2', 'agent:2']);
    await markAllReady(client, queue);
    await markAllReady(client, queue);
    assert.deepEqual(images(), ['agent:2', 'agent:2', 'agent:2']);
    assert.deepEqual(placement(client), ['n1', 'n2', 'n3']);
    const revs = client.stored<K8sObject>({ group: 'apps', version: 'v1', resource: 'controllerrevisions', kind: 'ControllerRevision', namespaced: true }, 'kube-system');
    assert.deepEqual(revs.map((r) => r.revision).sort(), [1, 2]);
    const cur = await client.get<K8sObject>(DAEMON_SETS, 'kube-system', 'agent');
    assert.equal(cur.status.updatedNumberScheduled, 3);
    assert.equal(cur.status.numberAvailable, 3);
    const deletes = client.writes().filter((a) => a.verb === 'delete' && a.resource.resource === 'pods');
    assert.equal(deletes.length, 3);
  } finally {
    await stop();
  }
});

test('OnDelete leaves old pods until they are deleted', async () => {
  const client = new FakeApiClient();
  client.seed(NODES, node('n1'));
  const seeded = daemonSet();
  seeded.spec.updateStrategy = { type: 'OnDelete' };
  client.seed(DAEMON_SETS, seeded);
  const { queue, stop } = await start(client);
  try {
    await markAllReady(client, queue);
    const ds = await client.get<K8sObject>(DAEMON_SETS, 'kube-system', 'agent');
    ds.spec.template.spec.containers[0].image = 'agent:2';
    await client.update(DAEMON_SETS, 'kube-system', ds);
    await settle([queue]);
    assert.equal(live(client)[0]!.spec.containers[0].image, 'agent:1');
    await client.delete(PODS, 'kube-system', live(client)[0]!.metadata.name!);
    await settle([queue]);
    assert.equal(live(client)[0]!.spec.containers[0].image, 'agent:2');
  } finally {
    await stop();
  }
});
