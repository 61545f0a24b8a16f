/** Owner references across namespaces, as upstream 1.20+'s garbage collector treats them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeApiClient, fakeInformerFactory } from '../client/fake.ts';
import { FakeClock } from '../client/fake-clock.ts';
import { resources } from '../client/resources.ts';
import type { K8sObject } from '../client/types.ts';
import { newGarbageCollector } from './garbage-collector.ts';
import { ManualQueue, settle } from './test-support.ts';

const CM = resources.configmaps;

async function start(client: FakeApiClient) {
  const informers = fakeInformerFactory(client);
  const queue = new ManualQueue();
  const gc = newGarbageCollector({ client, informers, queue, log: { error() {} }, discovery: () => [CM], timers: new FakeClock(), random: () => 0.5 });
  informers.start();
  gc.run(1);
  await informers.informer(CM).synced();
  return { queue, stop: async () => { informers.stop(); await gc.stop(); } };
}

const names = (client: FakeApiClient, ns: string) => client.stored<K8sObject>(CM, ns).map((o) => o.metadata.name).sort();
const refTo = (o: K8sObject, extra: Record<string, unknown> = {}) => [{ apiVersion: 'v1', kind: 'ConfigMap', name: o.metadata.name, uid: o.metadata.uid, ...extra }];

test("a dependent whose owner reference names an owner's uid in another namespace is deleted as an orphan, with upstream's OwnerRefInvalidNamespace Warning", async () => {
  const client = new FakeApiClient();
  const victim: K8sObject = client.seed(CM, { kind: 'ConfigMap', metadata: { name: 'victim', namespace: 'b' } });
  const dep: K8sObject = client.seed(CM, { kind: 'ConfigMap', metadata: { name: 'dep', namespace: 'a', ownerReferences: refTo(victim) } });
  // A valid dependent of the same owner, in its namespace, stays.
  client.seed(CM, { kind: 'ConfigMap', metadata: { name: 'ok', namespace: 'b', ownerReferences: refTo(victim) } });
  const { queue, stop } = await start(client);
  try {
    await settle([queue]);
    assert.deepEqual(names(client, 'a'), [], 'the owner is absent in the dependent\'s namespace');
    assert.deepEqual(names(client, 'b'), ['ok', 'victim']);
    assert.ok(client.actions.some((a) => a.verb === 'get' && a.namespace === 'a' && a.name === 'victim'), 'looked up where the reference points');
    const events = client.stored<K8sObject>(resources.events, 'a');
    assert.equal(events.length, 1);
    assert.equal(events[0]!.type, 'Warning');
    assert.equal(events[0]!.reason, 'OwnerRefInvalidNamespace');
    assert.equal(events[0]!.message, `ownerRef [v1/ConfigMap, namespace: a, name: victim, uid: ${victim.metadata.uid}] does not exist in namespace "a"`);
    assert.deepEqual(events[0]!.involvedObject, { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'a', name: 'dep', uid: dep.metadata.uid, resourceVersion: undefined });
    assert.equal(events[0]!.source.component, 'garbage-collector-controller');
  } finally {
    await stop();
  }
});

test('a cross-namespace blockOwnerDeletion reference with a finalizer of its own does not hold the owner\'s foreground deletion', async () => {
  const client = new FakeApiClient();
  const victim: K8sObject = client.seed(CM, { kind: 'ConfigMap', metadata: { name: 'victim', namespace: 'b' } });
  const { queue, stop } = await start(client);
  try {
    await settle([queue]);
    await client.delete(CM, 'b', 'victim', { propagationPolicy: 'Foreground' });
    // The tenant's object arrives while the owner waits on its dependents (no event from the owner after).
    client.seed(CM, { kind: 'ConfigMap', metadata: { name: 'holder', namespace: 'a', finalizers: ['example.com/hold'], ownerReferences: refTo(victim, { blockOwnerDeletion: true }) } });
    await settle([queue]);
    queue.add(victim.metadata.uid!);
    await settle([queue]);
    assert.deepEqual(names(client, 'b'), [], 'b/victim finished its foreground deletion');
    const holder = client.stored<K8sObject>(CM, 'a')[0];
    assert.ok(holder?.metadata.deletionTimestamp, 'the tenant object is being deleted (its finalizer keeps it)');
  } finally {
    await stop();
  }
});
