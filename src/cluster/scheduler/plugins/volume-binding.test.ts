/**
 * VolumeBinding with the scheduler and the PersistentVolume binder together on the fake client:
 * PreBind waits for the binder, so these show the whole WaitForFirstConsumer path.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeApiClient, fakeInformerFactory } from '../../client/fake.ts';
import { resources } from '../../client/resources.ts';
import type { K8sObject } from '../../client/types.ts';
import { RateLimitedQueue } from '../../client/work-queue.ts';
import { newPersistentVolumeBinder } from '../../controllers/volume/binder.ts';
import { localPathStorageClass } from '../../controllers/volume/local-path.ts';
import { startScheduler } from '../scheduler.ts';
import { makeNode, makePod } from '../testing.ts';

const silent = { info() {}, warn() {}, error() {} };

/** Waits for the condition; a pod retried after a cluster event waits out the queue's 1 s backoff (real timers). */
async function settle(cond: () => boolean, rounds = 3000): Promise<void> {
  for (let i = 0; i < rounds && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
}

const localPv = (name: string, node: string, size = '10Gi'): K8sObject => ({
  metadata: { name },
  spec: {
    capacity: { storage: size },
    accessModes: ['ReadWriteOnce'],
    storageClassName: 'local-storage',
    persistentVolumeReclaimPolicy: 'Retain',
    local: { path: `/mnt/${name}` },
    nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } },
  },
});
const claim = (name: string, storageClassName: string): K8sObject => ({ metadata: { name, namespace: 'default' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName, resources: { requests: { storage: '1Gi' } } } });
const podWith = (name: string, claimName: string) => makePod(name, { spec: { volumes: [{ name: 'data', persistentVolumeClaim: { claimName } }] } });

function setup() {
  const client = new FakeApiClient();
  const factory = fakeInformerFactory(client);
  const binder = newPersistentVolumeBinder({ client, informers: factory, queue: new RateLimitedQueue({}), log: silent });
  const pods = factory.informer(resources.pods);
  const s = startScheduler({ client, informers: { nodes: factory.informer(resources.nodes), pods } as never, informerFactory: factory, random: () => 0, now: () => Date.now(), log: silent });
  factory.start();
  binder.run(1);
  client.seed(resources.storageclasses, { metadata: { name: 'local-storage' }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'WaitForFirstConsumer' });
  client.seed(resources.storageclasses, { metadata: { name: 'fast' }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'Immediate' });
  client.seed(resources.storageclasses, localPathStorageClass());
  client.seed(resources.nodes, makeNode('n1'));
  client.seed(resources.nodes, makeNode('n2'));
  return {
    client,
    pod: (name: string) => pods.get('default', name) as K8sObject | undefined,
    stored: (r: typeof resources.pods, name: string) => client.stored<K8sObject>(r, r.namespaced ? 'default' : '').find((o) => o.metadata.name === name),
    events: () => client.stored<K8sObject>(resources.eventsV1, 'default').map((e) => `${e.reason} ${e.regarding.name}: ${e.note}`),
    async stop() {
      await s.stop();
      await binder.stop();
      factory.stop();
    },
  };
}

test('an unbound WaitForFirstConsumer claim goes where a matching local volume is; the volume is bound to it before the pod', async () => {
  const env = setup();
  try {
    env.client.seed(resources.persistentvolumes, localPv('disk-n2', 'n2'));
    env.client.seed(resources.persistentvolumeclaims, claim('data', 'local-storage'));
    env.client.seed(resources.pods, podWith('web', 'data'));
    await settle(() => !!env.pod('web')?.spec?.nodeName);
    assert.equal(env.pod('web')?.spec?.nodeName, 'n2');
    const c = env.stored(resources.persistentvolumeclaims, 'data')!;
    assert.equal(c.spec.volumeName, 'disk-n2');
    assert.equal(c.status.phase, 'Bound');
    const pv = env.stored(resources.persistentvolumes, 'disk-n2')!;
    assert.equal(pv.spec.claimRef.uid, c.metadata.uid);
    assert.equal(pv.metadata.annotations['pv.kubernetes.io/bound-by-controller'], 'yes');
    // No volume left for a second claim, and this class cannot provision.
    env.client.seed(resources.persistentvolumeclaims, claim('more', 'local-storage'));
    env.client.seed(resources.pods, podWith('web2', 'more'));
    await settle(() => env.events().some((e) => e.startsWith('FailedScheduling web2')));
    assert.ok(env.events().includes("FailedScheduling web2: 0/2 nodes are available: 2 node(s) didn't find available persistent volumes to bind. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."), env.events().join('\n'));
  } finally {
    await env.stop();
  }
});

test('a bound local volume keeps its pod on its node; volume node affinity conflict elsewhere; unbound immediate claims and missing claims', async () => {
  const env = setup();
  try {
    env.client.seed(resources.persistentvolumes, localPv('disk-n1', 'n1'));
    env.client.seed(resources.persistentvolumeclaims, claim('pinned', 'local-storage'));
    env.client.seed(resources.pods, podWith('first', 'pinned'));
    await settle(() => !!env.pod('first')?.spec?.nodeName);
    assert.equal(env.pod('first')?.spec?.nodeName, 'n1');
    // n1 is cordoned: the next pod using the bound claim has nowhere to go.
    const n1 = env.stored(resources.nodes, 'n1')!;
    await env.client.update(resources.nodes, '', { ...n1, spec: { ...n1.spec, unschedulable: true } });
    env.client.seed(resources.pods, podWith('second', 'pinned'));
    env.client.seed(resources.persistentvolumeclaims, claim('now', 'fast'));
    env.client.seed(resources.pods, podWith('third', 'now'));
    env.client.seed(resources.pods, podWith('fourth', 'nope'));
    await settle(() => ['second', 'third', 'fourth'].every((p) => env.events().some((e) => e.startsWith(`FailedScheduling ${p}`))));
    const ev = env.events();
    assert.ok(ev.includes("FailedScheduling second: 0/2 nodes are available: 1 node(s) had volume node affinity conflict, 1 node(s) were unschedulable. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."), ev.join('\n'));
    assert.ok(ev.includes('FailedScheduling third: 0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.'), ev.join('\n'));
    assert.ok(ev.includes('FailedScheduling fourth: 0/2 nodes are available: persistentvolumeclaim "nope" not found. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.'), ev.join('\n'));
  } finally {
    await env.stop();
  }
});

test('local-path: the scheduler selects the node, the binder provisions there, then the pod is bound', async () => {
  const env = setup();
  try {
    env.client.seed(resources.persistentvolumeclaims, claim('data', 'local-path'));
    env.client.seed(resources.pods, podWith('db', 'data'));
    await settle(() => !!env.pod('db')?.spec?.nodeName);
    const node = env.pod('db')!.spec.nodeName;
    const c = env.stored(resources.persistentvolumeclaims, 'data')!;
    assert.equal(c.metadata.annotations['volume.kubernetes.io/selected-node'], node);
    assert.equal(c.status.phase, 'Bound');
    const pv = env.stored(resources.persistentvolumes, c.spec.volumeName)!;
    assert.deepEqual(pv.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values, [node]);
    // The pod's bind came after the claim was bound (PreBind waited).
    const order = env.client.actions.filter((a) => (a.subresource === 'binding' && a.name === 'db') || (a.verb === 'update' && a.resource.resource === 'persistentvolumeclaims' && a.subresource === 'status')).map((a) => a.subresource);
    assert.deepEqual(order.slice(-2), ['status', 'binding'], order.join(','));
  } finally {
    await env.stop();
  }
});

test('VolumeRestrictions: a ReadWriteOncePod claim in use keeps a second pod off every node', async () => {
  const env = setup();
  try {
    env.client.seed(resources.persistentvolumes, { metadata: { name: 'solo-disk' }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOncePod'], storageClassName: '', hostPath: { path: '/data/solo' } } });
    env.client.seed(resources.persistentvolumeclaims, { metadata: { name: 'solo', namespace: 'default' }, spec: { accessModes: ['ReadWriteOncePod'], storageClassName: '', resources: { requests: { storage: '1Gi' } } } });
    await settle(() => env.stored(resources.persistentvolumeclaims, 'solo')?.status?.phase === 'Bound');
    env.client.seed(resources.pods, podWith('first', 'solo'));
    await settle(() => !!env.pod('first')?.spec?.nodeName);
    assert.ok(env.pod('first')?.spec?.nodeName);
    env.client.seed(resources.pods, podWith('second', 'solo'));
    await settle(() => env.events().some((e) => e.startsWith('FailedScheduling second')));
    const ev = env.events().find((e) => e.startsWith('FailedScheduling second'));
    assert.match(ev ?? '', /^FailedScheduling second: 0\/2 nodes are available: 2 node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode\. preemption: /);
  } finally {
    await env.stop();
  }
});

test('VolumeZone: a bound volume labelled with a zone keeps its pod in that zone', async () => {
  const env = setup();
  try {
    for (const [name, zone] of [['n1', 'z1'], ['n2', 'z2']] as const) {
      const n = env.stored(resources.nodes, name)!;
      await env.client.update(resources.nodes, '', { ...n, metadata: { ...n.metadata, labels: { ...n.metadata.labels, 'topology.kubernetes.io/zone': zone } } });
    }
    env.client.seed(resources.persistentvolumes, { metadata: { name: 'zonal', labels: { 'topology.kubernetes.io/zone': 'z2__z3' } }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: '', hostPath: { path: '/data/z' } } });
    env.client.seed(resources.persistentvolumeclaims, claim('zonal-claim', ''));
    await settle(() => env.stored(resources.persistentvolumeclaims, 'zonal-claim')?.status?.phase === 'Bound');
    env.client.seed(resources.pods, podWith('app', 'zonal-claim'));
    await settle(() => !!env.pod('app')?.spec?.nodeName);
    assert.equal(env.pod('app')?.spec?.nodeName, 'n2');
    const n2 = env.stored(resources.nodes, 'n2')!;
    await env.client.update(resources.nodes, '', { ...n2, spec: { ...n2.spec, unschedulable: true } });
    env.client.seed(resources.pods, podWith('app2', 'zonal-claim'));
    await settle(() => env.events().some((e) => e.startsWith('FailedScheduling app2')));
    assert.ok(env.events().includes('FailedScheduling app2: 0/2 nodes are available: 1 node(s) had no available volume zone, 1 node(s) were unschedulable. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.'), env.events().join('\n'));
  } finally {
    await env.stop();
  }
});
