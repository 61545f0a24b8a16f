import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeApiClient, fakeInformerFactory } from '../client/fake.ts';
import type { K8sObject } from '../client/types.ts';
import { newReplicationController } from './replication.ts';
import { PODS, REPLICATION_CONTROLLERS } from './resources.ts';
import { ManualQueue, settle } from './test-support.ts';

test('a ReplicationController (map selector) gets its pods, owned with kind ReplicationController', async () => {
  const client = new FakeApiClient();
  const rc = client.seed<K8sObject>(REPLICATION_CONTROLLERS, {
    apiVersion: 'v1',
    kind: 'ReplicationController',
    metadata: { name: 'db', namespace: 'default' },
    spec: { replicas: 2, selector: { app: 'db' }, template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'c', image: 'postgres' }] } } },
  });
  const informers = fakeInformerFactory(client);
  const queue = new ManualQueue();
  const c = newReplicationController({ client, informers, queue, log: { error() {} } });
  informers.start();
  c.run(1);
  try {
    await settle([queue]);
    const pods = client.stored<K8sObject>(PODS, 'default');
    assert.equal(pods.length, 2);
    assert.deepEqual(pods[0]!.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'ReplicationController', name: 'db', uid: rc.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    assert.equal(client.stored<K8sObject>(REPLICATION_CONTROLLERS, 'default')[0]!.status.replicas, 2);
  } finally {
    await c.stop();
    informers.stop();
  }
});
