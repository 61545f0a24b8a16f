/** The garbage collector against the fake client and the real shared informers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiStatusError } from '../client/errors.ts';
import { FakeApiClient, fakeInformerFactory } from '../client/fake.ts';
import { FakeClock } from '../client/fake-clock.ts';
import { resources } from '../client/resources.ts';
import type { K8sObject } from '../client/types.ts';
import { newGarbageCollector } from './garbage-collector.ts';
import { ManualQueue, settle } from './test-support.ts';

const silent = { error() {} };
const CM = resources.configmaps;
const SECRETS = resources.secrets;

async function start(client: FakeApiClient) {
  const informers = fakeInformerFactory(client);
  const queue = new ManualQueue();
  const gc = newGarbageCollector({ client, informers, queue, log: silent, discovery: () => [CM, SECRETS], timers: new FakeClock() });
  informers.start();
  gc.run(1);
  await informers.informer(CM).synced();
  return { queue, stop: async () => { informers.stop(); await gc.stop(); } };
}

const names = (client: FakeApiClient, r = CM) => client.stored<K8sObject>(r, 'default').map((o) => o.metadata.name).sort();
const refTo = (o: K8sObject, extra: Record<string, unknown> = {}) => [{ apiVersion: 'v1', kind: o.kind, name: o.metadata.name, uid: o.metadata.uid, ...extra }];

test('an owner the caches do not hold is looked up live before its dependent is deleted; once gone, the dependent is', async () => {
  const client = new FakeApiClient();
  // The Secrets informer cannot list: its cache stays empty, as a stale one would be.
  client.addReactor((a) => (a.verb === 'list' && a.resource.resource === 'secrets' ? new ApiStatusError(500, 'InternalError', 'no') : undefined));
  const owner = client.seed(SECRETS, { kind: 'Secret', metadata: { name: 'owner', namespace: 'default' } });
  client.seed(CM, { kind: 'ConfigMap', metadata: { name: 'dep', namespace: 'default', ownerReferences: refTo(owner) } });
  const { queue, stop } = await start(client);
  try {
    await settle([queue]);
    assert.deepEqual(names(client), ['dep'], 'the owner exists: the dependent stays');
    assert.ok(client.actions.some((a) => a.verb === 'get' && a.resource.resource === 'secrets' && a.name === 'owner'));
    await client.delete(SECRETS, 'default', 'owner');
    queue.add(client.stored<K8sObject>(CM, 'default')[0].metadata.uid!);
    await settle([queue]);
    assert.deepEqual(names(client), []);
    const del = client.writes().find((w) => w.verb === 'delete' && w.name === 'dep');
    assert.ok(del);
  } finally {
    await stop();
  }
});

test('orphan: the owner is removed from its dependents\' ownerReferences, then the orphan finalizer from the owner', async () => {
  const client = new FakeApiClient();
  const owner = client.seed(CM, { kind: 'ConfigMap', metadata: { name: 'owner', namespace: 'default', finalizers: ['orphan'] } });
  const other = client.seed(CM, { kind: 'ConfigMap', metadata: { name: 'other', namespace: 'default' } });
  client.seed(CM, { kind: 'ConfigMap', metadata: { name: 'dep', namespace: 'default', ownerReferences: refTo(owner) } });
  client.seed(CM, { kind: 'ConfigMap', metadata: { name: 'dep2', namespace: 'default', ownerReferences: [...refTo(owner), ...refTo(other)] } });
  const { queue, stop } = await start(client);
  try {
    await settle([queue]);
    await client.delete(CM, 'default', 'owner');
    await settle([queue]);
    assert.deepEqual(names(client), ['dep', 'dep2', 'other']);
    const byName = new Map(client.stored<K8sObject>(CM, 'default').map((o) => [o.metadata.name, o]));
    assert.equal(byName.get('dep')?.metadata.ownerReferences, undefined);
    assert.deepEqual(byName.get('dep2')?.metadata.ownerReferences.map((r: { name: string }) => r.name), ['other']);
  } finally {
    await stop();
  }
});

test('foreground: dependents are deleted first, then the foregroundDeletion finalizer is removed', async () => {
  const client = new FakeApiClient();
  const owner = client.seed(CM, { kind: 'ConfigMap', metadata: { name: 'owner', namespace: 'default' } });
  client.seed(CM, { kind: 'ConfigMap', metadata: { name: 'blocking', namespace: 'default', ownerReferences: refTo(owner, { blockOwnerDeletion: true }) } });
  client.seed(CM, { kind: 'ConfigMap', metadata: { name: 'nonblocking', namespace: 'default', ownerReferences: refTo(owner) } });
  const { queue, stop } = await start(client);
  try {
    await settle([queue]);
    await client.delete(CM, 'default', 'owner', { propagationPolicy: 'Foreground' });
    await settle([queue]);
    assert.deepEqual(names(client), []);
    const order = client.writes().filter((w) => w.verb === 'delete' || w.verb === 'patch').map((w) => `${w.verb} ${w.name}`);
    assert.ok(order.indexOf('delete blocking') < order.indexOf('patch owner'), order.join(', '));
  } finally {
    await stop();
  }
});
