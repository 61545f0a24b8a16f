/**
 * Upgrade from a Portcullis that stored custom resources beside the built-ins, under
 * /registry/<group>/<plural>/: the objects it left are moved into the custom resources' own key
 * space before the CRD is served, and a built-in's keys are never taken for legacy ones.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { CRDS, crdCondition, crdManifest as crd, waitFor } from '../helpers/crd.ts';
import { customResourcePrefix } from '../../src/api/registry/resource-def.ts';

let c: TestCluster;
before(async () => {
  c = await startTestCluster();
});
after(async () => {
  await c.close();
});

const condition = (name: string, type: string) => crdCondition(c.admin, name, type);

const established = (name: string) => waitFor(`${name} Established`, async () => ((await condition(name, 'Established'))?.status === 'True' ? true : undefined));

/** An object as an older server stored it (resourceVersion is the store's, never in the value). */
const stored = (kind: string, name: string, namespace: string | undefined, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'legacy.example.com/v1',
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}), uid: `uid-${name}`, creationTimestamp: '2024-01-01T00:00:00Z', ...extra },
  spec: { size: name.length },
});

test('custom resources an older server stored under /registry/<group>/<plural>/ are moved to their own key space and served', async () => {
  const store = c.cp.store;
  const LEGACY = '/registry/legacy.example.com/widgets/';
  const NEW = customResourcePrefix('legacy.example.com', 'widgets');
  await store.create(`${LEGACY}default/a`, stored('Widget', 'a', 'default'));
  await store.create(`${LEGACY}default/held`, stored('Widget', 'held', 'default', { deletionTimestamp: '2024-06-01T00:00:00Z', deletionGracePeriodSeconds: 0, finalizers: ['example.com/hold'] }));
  // A move interrupted between create and delete left both: the new key wins.
  await store.create(`${LEGACY}default/c`, stored('Widget', 'c', 'default', { labels: { copy: 'legacy' } }));
  await store.create(`${NEW}default/c`, stored('Widget', 'c', 'default', { labels: { copy: 'new' } }));
  const legacyA = (await store.get(`${LEGACY}default/a`))!;

  const r = await c.admin.post(CRDS, crd('legacy.example.com', 'widgets', 'Widget', 'v1', 'Namespaced'));
  assert.equal(r.status, 201, r.text);
  await established('widgets.legacy.example.com');

  const URL = '/apis/legacy.example.com/v1/namespaces/default/widgets';
  const list = await c.admin.get(URL);
  assert.equal(list.status, 200, list.text);
  assert.deepEqual(list.body.items.map((i: any) => i.metadata.name).sort(), ['a', 'c', 'held']);
  assert.equal(list.body.items.find((i: any) => i.metadata.name === 'c').metadata.labels.copy, 'new');
  assert.deepEqual((await store.list(LEGACY)).items, [], 'legacy keys are gone');

  const a = await c.admin.get(`${URL}/a`);
  assert.equal(a.status, 200, a.text);
  assert.equal(a.body.metadata.uid, 'uid-a');
  assert.deepEqual(a.body.spec, { size: 1 });
  // The resourceVersion is the new key's revision: a one-time change, clients relist.
  assert.notEqual(a.body.metadata.resourceVersion, String(legacyA.modRevision));
  const upd = await c.admin.put(`${URL}/a`, { ...a.body, spec: { size: 42 } });
  assert.equal(upd.status, 200, upd.text);
  assert.deepEqual((await store.get<any>(`${NEW}default/a`))?.value.spec, { size: 42 });

  // The pending deletion survived the move: releasing the finalizer completes it.
  const held = (await c.admin.get(`${URL}/held`)).body;
  assert.equal(held.metadata.deletionTimestamp, '2024-06-01T00:00:00Z');
  const released = await c.admin.put(`${URL}/held`, { ...held, metadata: { ...held.metadata, finalizers: [] } });
  assert.ok(released.status === 200, released.text);
  await waitFor('held deleted', async () => ((await c.admin.get(`${URL}/held`)).status === 404 ? true : undefined));
});

test('an upgraded server moves the objects of CRDs it finds at start-up before serving them (cluster-scoped)', async () => {
  const r = await c.admin.post(CRDS, crd('upgrade.example.com', 'gizmos', 'Gizmo', 'v1', 'Cluster'));
  assert.equal(r.status, 201, r.text);
  await established('gizmos.upgrade.example.com');
  const dataDir = c.dataDir;
  await c.cp.close();
  // What the older server would have left in the data dir.
  {
    const { openSqliteStore } = await import('../../src/storage/sqlite.ts');
    const { join } = await import('node:path');
    const s = openSqliteStore({ path: join(dataDir, 'state.db') });
    await s.create('/registry/upgrade.example.com/gizmos/g1', stored('Gizmo', 'g1', undefined));
    await s.create('/registry/upgrade.example.com/gizmos/g2', stored('Gizmo', 'g2', undefined));
    await s.close();
  }
  const old = c;
  c = await startTestCluster({ dataDir });
  old.admin.close();
  const list = await waitFor('gizmos served', async () => {
    const l = await c.admin.get('/apis/upgrade.example.com/v1/gizmos');
    return l.status === 200 ? l : undefined;
  });
  assert.deepEqual(list.body.items.map((i: any) => i.metadata.name).sort(), ['g1', 'g2']);
  assert.deepEqual((await c.cp.store.list('/registry/upgrade.example.com/')).items, []);
});

test("a CRD named like a built-in never has the built-in's keys migrated", async () => {
  const store = c.cp.store;
  const CRB = '/registry/rbac.authorization.k8s.io/clusterrolebindings/';
  const snapshot = async () => (await store.list(CRB)).items.map((i) => [i.key, i.modRevision]);
  const before = await snapshot();
  assert.ok(before.length > 0);
  const r = await c.admin.post(
    CRDS,
    crd('rbac.authorization.k8s.io', 'clusterrolebindings', 'ClusterRoleBinding', 'v9', 'Cluster', { 'api-approved.kubernetes.io': 'https://github.com/kubernetes/kubernetes/pull/78458' }),
  );
  assert.equal(r.status, 201, r.text);
  const accepted = await waitFor('NamesAccepted', () => condition('clusterrolebindings.rbac.authorization.k8s.io', 'NamesAccepted'));
  assert.equal(accepted.status, 'False');
  await c.settled();
  assert.deepEqual(await snapshot(), before);
  assert.deepEqual((await store.list(customResourcePrefix('rbac.authorization.k8s.io', 'clusterrolebindings'))).items, []);
});

test('deleting a custom resource releases its object-count quota without waiting for the resync', async () => {
  const r = await c.admin.post(CRDS, crd('quota.example.com', 'tokens', 'Token', 'v1', 'Namespaced'));
  assert.equal(r.status, 201, r.text);
  await established('tokens.quota.example.com');
  const Q = '/api/v1/namespaces/default/resourcequotas';
  assert.equal((await c.admin.post(Q, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'tokens' }, spec: { hard: { 'count/tokens.quota.example.com': '1' } } })).status, 201);
  const used = (n: string) => waitFor(`quota used ${n}`, async () => ((await c.admin.get(`${Q}/tokens`)).body.status?.used?.['count/tokens.quota.example.com'] === n ? true : undefined));
  await used('0');
  const URL = '/apis/quota.example.com/v1/namespaces/default/tokens';
  const token = (name: string) => ({ apiVersion: 'quota.example.com/v1', kind: 'Token', metadata: { name } });
  assert.equal((await c.admin.post(URL, token('t1'))).status, 201);
  await used('1');
  const refused = await c.admin.post(URL, token('t2'));
  assert.equal(refused.status, 403, refused.text);
  assert.equal((await c.admin.delete(`${URL}/t1`)).status, 200);
  await used('0');
  assert.equal((await c.admin.post(URL, token('t2'))).status, 201);
});
