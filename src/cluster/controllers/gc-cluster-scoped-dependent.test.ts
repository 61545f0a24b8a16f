/**
 * A cluster-scoped dependent naming a namespaced owner (upstream 1.20+, kubernetes#65200): the
 * reference cannot be resolved, so the collector never deletes the dependent for it, whether the
 * owner exists or not (isDangling's namespacedOwnerOfClusterScopedObjectErr), and records
 * OwnerRefInvalidNamespace on it when it meets the observed owner.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeApiClient, fakeInformerFactory } from '../client/fake.ts';
import { FakeClock } from '../client/fake-clock.ts';
import { resources } from '../client/resources.ts';
import type { K8sObject } from '../client/types.ts';
import { newGarbageCollector } from './garbage-collector.ts';
import { ManualQueue, settle } from './test-support.ts';

const CM = resources.configmaps;
const PV = resources.persistentvolumes;

async function start(client: FakeApiClient) {
  const informers = fakeInformerFactory(client);
  const queue = new ManualQueue();
  const gc = newGarbageCollector({ client, informers, queue, log: { error() {} }, discovery: () => [CM, PV], timers: new FakeClock(), random: () => 0.5 });
  informers.start();
  gc.run(1);
  await informers.informer(CM).synced();
  await informers.informer(PV).synced();
  return { queue, stop: async () => { informers.stop(); await gc.stop(); } };
}

const pvNames = (client: FakeApiClient) => client.stored<K8sObject>(PV, '').map((o) => o.metadata.name).sort();

test('a cluster-scoped dependent whose owner reference names a namespaced owner is never deleted for it: not while the owner exists, not once it is gone', async () => {
  const client = new FakeApiClient();
  const owner: K8sObject = client.seed(CM, { kind: 'ConfigMap', metadata: { name: 'owner', namespace: 'b' } });
  const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid };
  const pv: K8sObject = client.seed(PV, { kind: 'PersistentVolume', metadata: { name: 'pv1', ownerReferences: [ref] } });
  // With a valid (cluster-scoped) owner too, the reference is still not resolvable: the item is left alone.
  const clusterOwner: K8sObject = client.seed(PV, { kind: 'PersistentVolume', metadata: { name: 'pv-owner' } });
  client.seed(PV, { kind: 'PersistentVolume', metadata: { name: 'pv2', ownerReferences: [ref, { apiVersion: 'v1', kind: 'PersistentVolume', name: 'gone', uid: 'gone-uid' }, { apiVersion: 'v1', kind: 'PersistentVolume', name: 'pv-owner', uid: clusterOwner.metadata.uid }] } });
  const { queue, stop } = await start(client);
  try {
    await settle([queue]);
    assert.deepEqual(pvNames(client), ['pv-owner', 'pv1', 'pv2'], 'kept while the namespaced owner exists');
    assert.ok(!client.writes().some((w) => w.resource.resource === 'persistentvolumes'), 'nothing written to the volumes (no reference removed either)');
    const events = client.stored<K8sObject>(resources.events, 'default').filter((e) => e.involvedObject?.uid === pv.metadata.uid);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.reason, 'OwnerRefInvalidNamespace');
    assert.equal(events[0]!.message, `ownerRef [v1/ConfigMap, namespace: , name: owner, uid: ${owner.metadata.uid}] does not exist in namespace ""`);
    await client.delete(CM, 'b', 'owner');
    await settle([queue]);
    for (const o of client.stored<K8sObject>(PV, '')) queue.add(o.metadata.uid!);
    await settle([queue]);
    assert.deepEqual(pvNames(client), ['pv-owner', 'pv1', 'pv2'], 'kept once the namespaced owner is gone');
  } finally {
    await stop();
  }
});
