/** The resource quota controller against the fake client and the real shared informers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeApiClient, fakeInformerFactory } from '../client/fake.ts';
import { ApiStatusError } from '../client/errors.ts';
import { resources } from '../client/resources.ts';
import type { K8sObject, ResourceRef } from '../client/types.ts';
import { newResourceQuotaController } from './resource-quota.ts';
import { ManualQueue, settle } from './test-support.ts';

const silent = { error() {} };
const WIDGETS: ResourceRef = Object.freeze({ group: 'example.com', version: 'v1', resource: 'widgets', kind: 'Widget', namespaced: true });
const discovery = () => [resources.pods, resources.configmaps, resources.services, resources.resourcequotas, resources.deployments, WIDGETS];

const container = (memory?: string, cpu?: string) => ({ name: 'c', image: 'nginx', resources: { requests: { ...(memory ? { memory } : {}), ...(cpu ? { cpu } : {}) } } });
const pod = (name: string, ns: string, c: Record<string, unknown>, extra: Record<string, unknown> = {}): K8sObject => ({ metadata: { name, namespace: ns }, spec: { containers: [c], ...extra } });
const quota = (spec: Record<string, unknown>): K8sObject => ({ metadata: { name: 'q', namespace: 'ns' }, spec });

async function start(client: FakeApiClient) {
  const informers = fakeInformerFactory(client);
  const queue = new ManualQueue();
  const c = newResourceQuotaController({ client, informers, queue, log: silent, discovery, now: () => new Date('2025-01-01T00:00:00Z'), resyncMs: 3_600_000 });
  informers.start();
  c.run(1);
  await settle([queue]);
  return { queue, settle: () => settle([queue]), stop: async () => { await c.stop(); informers.stop(); } };
}

const status = (client: FakeApiClient) => client.stored<K8sObject>(resources.resourcequotas, 'ns')[0]!.status;

test('status follows spec and the caches: counted on start, released on delete and on pod completion, written through /status', async () => {
  const client = new FakeApiClient();
  client.seed(resources.pods, pod('a', 'ns', container('64Mi')));
  const b = client.seed(resources.pods, pod('b', 'ns', container('64Mi'), { activeDeadlineSeconds: 10 }));
  client.seed(resources.pods, pod('x', 'other', container('1Gi')));
  client.seed(resources.configmaps, { metadata: { name: 'c1', namespace: 'ns' } });
  client.seed(resources.resourcequotas, quota({ hard: { pods: '5', 'requests.memory': '1024Mi', 'count/configmaps': '3', 'count/deployments.apps': '1' } }));
  const c = await start(client);
  try {
    assert.deepEqual(status(client), {
      hard: { 'count/configmaps': '3', 'count/deployments.apps': '1', pods: '5', 'requests.memory': '1Gi' },
      used: { 'count/configmaps': '1', 'count/deployments.apps': '0', pods: '2', 'requests.memory': '128Mi' },
    });
    assert.deepEqual(client.writes().map((w) => `${w.verb} ${w.resource.resource}/${w.subresource}`), ['update resourcequotas/status']);

    await client.delete(resources.configmaps, 'ns', 'c1');
    await c.settle();
    assert.equal(status(client).used['count/configmaps'], '0', 'configmap delete released');

    await client.update(resources.pods, 'ns', { ...b, status: { phase: 'Succeeded' } }, 'status');
    await c.settle();
    assert.equal(status(client).used.pods, '1', 'completed pod released');
    assert.equal(status(client).used['requests.memory'], '64Mi');

    // A create is not recounted (admission charged it).
    const writes = client.writes().length;
    await client.create(resources.configmaps, 'ns', { metadata: { name: 'c2' } });
    await c.settle();
    assert.equal(client.writes().length, writes + 1);

    const [q] = client.stored<K8sObject>(resources.resourcequotas, 'ns');
    await client.update(resources.resourcequotas, 'ns', { ...q!, spec: { hard: { pods: '7' } } });
    await c.settle();
    assert.deepEqual(status(client), { hard: { pods: '7' }, used: { pods: '1' } });
  } finally {
    await c.stop();
  }
});

test('scoped quotas count only the pods in scope', async () => {
  const client = new FakeApiClient();
  client.seed(resources.pods, pod('be', 'ns', { name: 'c', image: 'nginx' }));
  client.seed(resources.pods, pod('burst', 'ns', container(undefined, '100m')));
  client.seed(resources.resourcequotas, quota({ hard: { pods: '5' }, scopes: ['NotBestEffort'] }));
  const c = await start(client);
  try {
    assert.deepEqual(status(client).used, { pods: '1' });
  } finally {
    await c.stop();
  }
});

test('deleting a custom resource releases its object count at once (no resync); a failed status write is retried with backoff', async () => {
  const client = new FakeApiClient();
  client.seed(WIDGETS, { metadata: { name: 'a', namespace: 'ns' } });
  client.seed(WIDGETS, { metadata: { name: 'b', namespace: 'ns' } });
  client.seed(resources.resourcequotas, quota({ hard: { 'count/widgets.example.com': '5' } }));
  client.failNext('update', 'resourcequotas', new ApiStatusError(409, 'Conflict', 'the object has been modified'));
  const c = await start(client);
  try {
    assert.deepEqual([...c.queue.rateLimited], ['ns/q']);
    c.queue.releaseDelayed();
    await c.settle();
    assert.equal(status(client).used['count/widgets.example.com'], '2');
    await client.delete(WIDGETS, 'ns', 'a');
    await c.settle();
    assert.equal(status(client).used['count/widgets.example.com'], '1');
  } finally {
    await c.stop();
  }
});
