import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';

/** The default admission chain through the API server. */
let c: TestCluster;
before(async () => {
  c = await startTestCluster();
  assert.equal((await c.admin.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'quota' } })).status, 201);
});
after(async () => {
  await c.close();
});

const pod = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox', ...extra }] } });

test('100 concurrent creates against a quota of 10 pods admit exactly 10', async () => {
  const q = await c.admin.post('/api/v1/namespaces/quota/resourcequotas', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q' }, spec: { hard: { pods: '10' } } });
  assert.equal(q.status, 201, q.text);
  // As upstream: a quota is enforced once the quota controller has written its status.hard.
  for (let i = 0; i < 200 && !(await c.admin.get('/api/v1/namespaces/quota/resourcequotas/q')).body.status?.hard; i++) await new Promise((r) => setTimeout(r, 20));
  const results = await Promise.all(Array.from({ length: 100 }, (_, i) => c.admin.post('/api/v1/namespaces/quota/pods', pod(`p${i}`))));
  const created = results.filter((r) => r.status === 201).length;
  assert.equal(created, 10, results.filter((r) => r.status !== 201 && r.status !== 403).map((r) => r.text).join('\n'));
  const denied = results.find((r) => r.status === 403);
  assert.match(denied!.body.message, /exceeded quota: q, requested: pods=1, used: pods=10, limited: pods=10/);
  const list = await c.admin.get('/api/v1/namespaces/quota/pods');
  assert.equal(list.body.items.length, 10);
  const status = await c.admin.get('/api/v1/namespaces/quota/resourcequotas/q');
  assert.equal(status.body.status.used.pods, '10');
});

test('deleting a pod releases its quota', async () => {
  const first = (await c.admin.get('/api/v1/namespaces/quota/pods')).body.items[0].metadata.name;
  assert.equal((await c.admin.delete(`/api/v1/namespaces/quota/pods/${first}`)).status, 200);
  let ok = false;
  for (let i = 0; i < 100 && !ok; i++) {
    ok = (await c.admin.post('/api/v1/namespaces/quota/pods', pod(`again${i}`))).status === 201;
    if (!ok) await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(ok, 'a create succeeds once the controller has released the usage');
});

test('ServiceAccount admission defaults the account and mounts the token volume; LimitRanger applies defaults', async () => {
  await c.admin.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'limits' } });
  await c.admin.post('/api/v1/namespaces/limits/limitranges', {
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: { name: 'lr' },
    spec: { limits: [{ type: 'Container', default: { cpu: '500m', memory: '128Mi' }, defaultRequest: { cpu: '100m', memory: '64Mi' }, max: { cpu: '1' } }] },
  });
  let r;
  for (let i = 0; i < 50; i++) {
    r = await c.admin.post('/api/v1/namespaces/limits/pods', pod('lp'));
    if (r.status === 201) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.equal(r!.status, 201, r!.text);
  const p = r!.body;
  assert.equal(p.spec.serviceAccountName, 'default');
  assert.ok(p.spec.volumes.some((v: any) => v.name.startsWith('kube-api-access-')));
  assert.deepEqual(p.spec.containers[0].resources, { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '100m', memory: '64Mi' } });
  assert.equal(p.status.qosClass, 'Burstable');
  const tooBig = await c.admin.post('/api/v1/namespaces/limits/pods', pod('big', { resources: { limits: { cpu: '2' } } }));
  assert.equal(tooBig.status, 403);
  assert.match(tooBig.body.message, /maximum cpu usage per Container is 1, but limit is 2/);
  const noSa = await c.admin.post('/api/v1/namespaces/limits/pods', { ...pod('nosa'), spec: { serviceAccountName: 'ghost', containers: [{ name: 'c', image: 'busybox' }] } });
  assert.equal(noSa.status, 403);
  assert.match(noSa.body.message, /serviceaccount "ghost" not found/);
});
