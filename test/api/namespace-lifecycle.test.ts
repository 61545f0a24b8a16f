import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterPerFile } from '../helpers/cluster.ts';

const c = clusterPerFile();

async function waitFor(cond: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail('condition not met in time');
}

test('a pod created in a terminating namespace is refused by NamespaceLifecycle, not for its missing service account', async () => {
  // A finalizer of our own keeps the namespace Terminating after its content (the default
  // service account included) is gone.
  const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ending', finalizers: ['example.com/hold'] } };
  assert.equal((await c.admin.post('/api/v1/namespaces', ns)).status, 201);
  await waitFor(async () => (await c.admin.get('/api/v1/namespaces/ending/serviceaccounts/default')).status === 200);
  assert.equal((await c.admin.delete('/api/v1/namespaces/ending')).status, 200);
  await waitFor(async () => (await c.admin.get('/api/v1/namespaces/ending/serviceaccounts/default')).status === 404);

  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'late' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
  const r = await c.admin.post('/api/v1/namespaces/ending/pods', pod);
  assert.equal(r.status, 403, r.text);
  assert.deepEqual(r.body, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'pods "late" is forbidden: unable to create new content in namespace ending because it is being terminated',
    reason: 'Forbidden',
    details: {
      name: 'late',
      kind: 'pods',
      causes: [{ reason: 'NamespaceTerminating', message: 'namespace ending is being terminated', field: 'metadata.namespace' }],
    },
    code: 403,
  });

  // A namespace that does not exist: 404 naming it.
  const gone = await c.admin.post('/api/v1/namespaces/never-was/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } });
  assert.equal(gone.status, 404, gone.text);
  assert.equal(gone.body.message, 'namespaces "never-was" not found');

  const unhold = await c.admin.patch('/api/v1/namespaces/ending', { metadata: { finalizers: null } }, 'application/merge-patch+json');
  assert.equal(unhold.status, 200, unhold.text);
});
