import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';

/** @kubernetes/client-node works unchanged: CRUD, merge patch, server-side apply, watch and an informer. */
let c: TestCluster;
let kc: k8s.KubeConfig;
before(async () => {
  c = await startTestCluster();
  kc = new k8s.KubeConfig();
  kc.loadFromFile(join(c.dataDir, 'admin.kubeconfig'));
});
after(async () => {
  await c.close();
});

test('list, get, create, merge patch, server-side apply, delete', async () => {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const nsList = await core.listNamespace();
  assert.ok(nsList.items.some((n) => n.metadata?.name === 'kube-system'));
  await core.createNamespace({ body: { metadata: { name: 'cn' } } });
  const cm = await core.createNamespacedConfigMap({ namespace: 'cn', body: { metadata: { name: 'a', labels: { x: '1' } }, data: { k: 'v' } } });
  assert.ok(cm.metadata?.uid);
  const got = await core.readNamespacedConfigMap({ name: 'a', namespace: 'cn' });
  assert.deepEqual(got.data, { k: 'v' });
  const patched = await core.patchNamespacedConfigMap(
    { name: 'a', namespace: 'cn', body: { data: { k2: 'v2' } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
  assert.deepEqual(patched.data, { k: 'v', k2: 'v2' });
  const applied = await core.patchNamespacedConfigMap(
    { name: 'b', namespace: 'cn', fieldManager: 'client-node', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b' }, data: { s: 'a' } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply),
  );
  assert.equal(applied.metadata?.managedFields?.[0]?.manager, 'client-node');
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const d = await apps.createNamespacedDeployment({
    namespace: 'cn',
    body: { metadata: { name: 'd' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } } },
  });
  assert.equal(d.spec?.replicas, 1);
  await core.deleteNamespacedConfigMap({ name: 'b', namespace: 'cn' });
  await assert.rejects(core.readNamespacedConfigMap({ name: 'b', namespace: 'cn' }), (err: any) => err.code === 404);
});

test('watch and an informer stay in sync through creates, updates and deletes', async () => {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const seen: string[] = [];
  const watch = new k8s.Watch(kc);
  const req = await watch.watch('/api/v1/namespaces/cn/configmaps', {}, (type, obj) => seen.push(`${type}:${obj.metadata.name}`), () => {});
  const informer = k8s.makeInformer(kc, '/api/v1/namespaces/cn/configmaps', () => core.listNamespacedConfigMap({ namespace: 'cn' }));
  const events: string[] = [];
  informer.on('add', (o) => events.push(`add:${o.metadata?.name}`));
  informer.on('update', (o) => events.push(`update:${o.metadata?.name}`));
  informer.on('delete', (o) => events.push(`delete:${o.metadata?.name}`));
  await informer.start();
  await core.createNamespacedConfigMap({ namespace: 'cn', body: { metadata: { name: 'inf' }, data: { a: '1' } } });
  await core.patchNamespacedConfigMap({ name: 'inf', namespace: 'cn', body: { data: { a: '2' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
  await core.deleteNamespacedConfigMap({ name: 'inf', namespace: 'cn' });
  const until = Date.now() + 5000;
  while (Date.now() < until && !(events.includes('delete:inf') && seen.includes('DELETED:inf'))) await new Promise((r) => setTimeout(r, 50));
  await informer.stop();
  req.abort();
  assert.ok(events.includes('add:inf') && events.includes('update:inf') && events.includes('delete:inf'), events.join(' '));
  assert.ok(events.includes('add:a'), 'the informer lists what exists first');
  assert.deepEqual(seen.filter((s) => s.endsWith(':inf')), ['ADDED:inf', 'MODIFIED:inf', 'DELETED:inf']);
  const cache = informer.list('cn').map((o) => o.metadata?.name);
  assert.ok(!cache.includes('inf'));
});
