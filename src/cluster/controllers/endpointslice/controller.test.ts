/** The EndpointSlice controller against the fake client and the real shared informers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeApiClient, fakeInformerFactory } from '../../client/fake.ts';
import { resources } from '../../client/resources.ts';
import type { K8sObject, WatchEvent } from '../../client/types.ts';
import { ManualQueue, settle } from '../test-support.ts';
import { PODS } from '../resources.ts';
import { newEndpointSliceController } from './controller.ts';
import { pod, readyStatus, service } from '../endpoints/fixtures.test-support.ts';

const silent = { error() {} };
const SLICES = resources.endpointslices;

async function start(client: FakeApiClient) {
  const informers = fakeInformerFactory(client);
  const queue = new ManualQueue();
  const c = newEndpointSliceController({ client, informers, queue, log: silent });
  informers.start();
  c.run(2);
  await settle([queue]);
  return { queue, stop: async () => { await c.stop(); informers.stop(); } };
}

const slicesOf = (client: FakeApiClient) => client.stored<K8sObject>(SLICES, 'default');

test('one slice per Service: labels, ownerReference, named port resolved, conditions; a pod turning unready is ready:false at once, in place', async () => {
  const client = new FakeApiClient();
  const svc = client.seed(resources.services, service('web'));
  client.seed(resources.nodes, { metadata: { name: 'node-1', labels: { 'topology.kubernetes.io/zone': 'z1' } } });
  client.seed(PODS, pod('a', 'web', '10.1.0.1', true));
  client.seed(PODS, pod('b', 'web', '10.1.0.2', false));
  const { queue, stop } = await start(client);
  try {
    let [slice, extra] = slicesOf(client);
    assert.equal(extra, undefined);
    assert.match(slice!.metadata.name!, /^web-/);
    assert.equal(slice!.addressType, 'IPv4');
    assert.deepEqual(slice!.metadata.labels, { team: 'a', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
    assert.deepEqual(slice!.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: svc.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    assert.deepEqual(slice!.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    const a = client.stored<K8sObject>(PODS, 'default').find((p) => p.metadata.name === 'a')!;
    assert.deepEqual(slice!.endpoints.find((e: any) => e.targetRef.name === 'a'), {
      addresses: ['10.1.0.1'],
      conditions: { ready: true, serving: true, terminating: false },
      targetRef: { kind: 'Pod', namespace: 'default', name: 'a', uid: a.metadata.uid },
      nodeName: 'node-1',
      zone: 'z1',
    });
    assert.deepEqual(slice!.endpoints.find((e: any) => e.targetRef.name === 'b').conditions, { ready: false, serving: false, terminating: false });

    await client.update(PODS, 'default', { ...a, status: readyStatus('10.1.0.1', false, '2026-01-01T00:05:00Z') }, 'status');
    await settle([queue]);
    [slice, extra] = slicesOf(client);
    assert.equal(extra, undefined, 'updated in place, no second slice');
    assert.deepEqual(slice!.endpoints.find((e: any) => e.targetRef.name === 'a').conditions, { ready: false, serving: false, terminating: false });
    assert.equal(slice!.metadata.annotations['endpoints.kubernetes.io/last-change-trigger-time'], '2026-01-01T00:05:00Z');
    assert.deepEqual(client.writes().filter((w) => w.resource === SLICES).map((w) => w.verb), ['create', 'update']);

    const before = client.writes().length;
    queue.add('default/web');
    await settle([queue]);
    assert.equal(client.writes().length, before, 'a second sync writes nothing');
  } finally {
    await stop();
  }
});

test('150 endpoints split into slices of 100 and 50; removing a pod touches only its slice', async () => {
  const client = new FakeApiClient();
  client.seed(resources.services, service('big'));
  for (let i = 0; i < 150; i++) client.seed(PODS, pod(`p${i}`, 'big', `10.2.0.${i + 1}`, true));
  const { queue, stop } = await start(client);
  try {
    const sizes = slicesOf(client).map((s) => s.endpoints.length).sort((x, y) => x - y);
    assert.deepEqual(sizes, [50, 100]);
    const small = slicesOf(client).find((s) => s.endpoints.length === 50)!;
    const victim = small.endpoints[0].targetRef.name;
    const n = client.writes().length;
    await client.delete(PODS, 'default', victim);
    await settle([queue]);
    const w = client.writes().slice(n + 1).filter((x) => x.resource === SLICES);
    assert.deepEqual(w.map((x) => `${x.verb} ${x.name}`), [`update ${small.metadata.name}`]);
    assert.deepEqual(slicesOf(client).map((s) => s.endpoints.length).sort((x, y) => x - y), [49, 100]);
  } finally {
    await stop();
  }
});

test('a Service with no matching pods gets one placeholder slice; pods arriving reuse it only when the ports match', async () => {
  const client = new FakeApiClient();
  client.seed(resources.services, service('web'));
  const { queue, stop } = await start(client);
  try {
    const [placeholder, extra] = slicesOf(client);
    assert.equal(extra, undefined);
    assert.deepEqual([placeholder!.endpoints, placeholder!.ports], [[], []]);
    await client.create(PODS, 'default', pod('a', 'web', '10.1.0.1', true));
    await settle([queue]);
    const slices = slicesOf(client);
    assert.equal(slices.length, 1);
    assert.equal(slices[0]!.endpoints.length, 1);
    assert.notEqual(slices[0]!.metadata.name, placeholder!.metadata.name);
  } finally {
    await stop();
  }
});

test('a terminating pod stays listed: not ready, serving while ready, terminating', async () => {
  const client = new FakeApiClient();
  client.seed(resources.services, service('web'));
  const p = pod('a', 'web', '10.1.0.1', true);
  p.metadata.finalizers = ['x/hold'];
  client.seed(PODS, p);
  const { queue, stop } = await start(client);
  try {
    await client.delete(PODS, 'default', 'a');
    await settle([queue]);
    const [slice] = slicesOf(client);
    assert.deepEqual(slice!.endpoints[0].conditions, { ready: false, serving: true, terminating: true });
  } finally {
    await stop();
  }
});

test('slices it just wrote are awaited in the cache: a resync before the watch delivers them creates no duplicate', async () => {
  const client = new FakeApiClient();
  client.seed(resources.services, service('web'));
  client.seed(PODS, pod('a', 'web', '10.1.0.1', true));
  // Hold the slice watch's events until released: the informer lags behind the writes.
  const held: Array<() => void> = [];
  let holding = false;
  const lagging = Object.create(client) as FakeApiClient;
  lagging.watch = ((r, ns, opts, onEvent: (e: WatchEvent<K8sObject>) => void, onClose) =>
    client.watch<K8sObject>(r, ns, opts, (e) => (holding && r === SLICES ? held.push(() => onEvent(e)) : onEvent(e)), onClose)) as FakeApiClient['watch'];
  const informers = fakeInformerFactory(lagging);
  const queue = new ManualQueue();
  holding = true;
  const c = newEndpointSliceController({ client: lagging, informers, queue, log: silent });
  informers.start();
  c.run(1);
  try {
    await settle([queue]);
    assert.equal(slicesOf(client).length, 1);
    queue.add('default/web');
    await settle([queue]);
    assert.equal(slicesOf(client).length, 1, 'no second slice from a stale cache');
    holding = false;
    for (const f of held.splice(0)) f();
    await settle([queue]);
    assert.equal(slicesOf(client).length, 1);
    assert.equal(client.writes().filter((w) => w.resource === SLICES).length, 1);
  } finally {
    await c.stop();
    informers.stop();
  }
});
