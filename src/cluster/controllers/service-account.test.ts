/** The service account controller and the root CA publisher against the fake client and the real shared informers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeApiClient, fakeInformerFactory } from '../client/fake.ts';
import { ApiStatusError } from '../client/errors.ts';
import { resources } from '../client/resources.ts';
import type { K8sObject } from '../client/types.ts';
import { newServiceAccountController } from './service-account.ts';
import { newRootCaPublisher, ROOT_CA_CONFIG_MAP } from './root-ca-publisher.ts';
import { ManualQueue, settle } from './test-support.ts';

const silent = { error() {} };

async function start(client: FakeApiClient) {
  const informers = fakeInformerFactory(client);
  const saQueue = new ManualQueue();
  const caQueue = new ManualQueue();
  const controllers = [
    newServiceAccountController({ client, informers, queue: saQueue, log: silent }),
    newRootCaPublisher({ client, informers, queue: caQueue, log: silent, caPem: 'PEM' }),
  ];
  informers.start();
  for (const c of controllers) c.run(1);
  const queues = [saQueue, caQueue];
  await settle(queues);
  return {
    queues,
    settle: () => settle(queues),
    stop: async () => {
      for (const c of controllers) await c.stop();
      informers.stop();
    },
  };
}

const sa = (client: FakeApiClient, ns: string) => client.stored<K8sObject>(resources.serviceaccounts, ns).find((s) => s.metadata.name === 'default');
const ca = (client: FakeApiClient, ns: string) => client.stored<K8sObject>(resources.configmaps, ns).find((s) => s.metadata.name === ROOT_CA_CONFIG_MAP);

test('every active namespace gets a default ServiceAccount and the root CA ConfigMap, restored when deleted or changed', async () => {
  const client = new FakeApiClient();
  client.seed(resources.namespaces, { metadata: { name: 'a' }, status: { phase: 'Active' } });
  client.seed(resources.namespaces, { metadata: { name: 'gone', deletionTimestamp: '2025-01-01T00:00:00Z', finalizers: ['x'] }, status: { phase: 'Terminating' } });
  const c = await start(client);
  try {
    assert.deepEqual(client.writes().find((w) => w.resource.resource === 'serviceaccounts')?.object, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } });
    assert.ok(sa(client, 'a'));
    const cm = ca(client, 'a')!;
    assert.deepEqual(cm.data, { 'ca.crt': 'PEM' });
    assert.match(cm.metadata.annotations['kubernetes.io/description'], /^Contains a CA bundle/);

    await client.create(resources.namespaces, '', { metadata: { name: 'b' }, status: { phase: 'Active' } });
    await c.settle();
    assert.ok(sa(client, 'b'), 'SA in the new namespace');
    assert.ok(ca(client, 'b'), 'root CA in the new namespace');

    await client.delete(resources.serviceaccounts, 'a', 'default');
    await c.settle();
    assert.ok(sa(client, 'a'), 'SA recreated');

    await client.update(resources.configmaps, 'a', { ...cm, data: { 'ca.crt': 'tampered' } });
    await c.settle();
    assert.deepEqual(ca(client, 'a')!.data, { 'ca.crt': 'PEM' }, 'CA restored');
    await client.delete(resources.configmaps, 'a', ROOT_CA_CONFIG_MAP);
    await c.settle();
    assert.ok(ca(client, 'a'), 'CA recreated');

    assert.equal(sa(client, 'gone'), undefined);
    assert.equal(ca(client, 'gone'), undefined);
  } finally {
    await c.stop();
  }
});

test('a refused create is retried with backoff; AlreadyExists and a terminating namespace end the sync', async () => {
  const client = new FakeApiClient();
  client.seed(resources.namespaces, { metadata: { name: 'a' }, status: { phase: 'Active' } });
  client.failNext('create', 'serviceaccounts', new ApiStatusError(500, 'InternalError', 'boom'));
  client.failNext('create', 'configmaps', new ApiStatusError(403, 'Forbidden', 'unable to create new content in namespace a because it is being terminated', { causes: [{ reason: 'NamespaceTerminating', message: 'namespace a is being terminated', field: 'metadata.namespace' }] }));
  const c = await start(client);
  try {
    const [saQueue, caQueue] = c.queues;
    assert.deepEqual([...saQueue!.rateLimited], ['a'], 'the failed create is retried');
    assert.deepEqual([...caQueue!.rateLimited], [], 'a terminating namespace is not retried');
    saQueue!.releaseDelayed();
    await c.settle();
    assert.ok(sa(client, 'a'));
    client.failNext('create', 'serviceaccounts', new ApiStatusError(409, 'AlreadyExists', 'serviceaccounts "default" already exists'));
    await client.delete(resources.serviceaccounts, 'a', 'default');
    await c.settle();
    assert.deepEqual([...saQueue!.rateLimited], [], 'AlreadyExists is success');
  } finally {
    await c.stop();
  }
});
