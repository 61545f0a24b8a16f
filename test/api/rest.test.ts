import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterPerFile } from '../helpers/cluster.ts';

const c = clusterPerFile();

const cm = (name: string, data: Record<string, string> = { a: '1' }, labels?: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ...(labels ? { labels } : {}) },
  data,
});

const deployment = (name: string, replicas = 1) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
  },
});

describe('create and get', () => {
  test('system namespaces exist', async () => {
    const r = await c.admin.get('/api/v1/namespaces');
    assert.equal(r.status, 200);
    const names = r.body.items.map((n: any) => n.metadata.name);
    for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) assert.ok(names.includes(n), n);
    assert.equal(r.body.kind, 'NamespaceList');
  });

  test('create sets server fields, get returns the object', async () => {
    const r = await c.admin.post('/api/v1/namespaces/default/configmaps', cm('one'));
    assert.equal(r.status, 201, r.text);
    const m = r.body.metadata;
    assert.match(m.uid, /^[0-9a-f-]{36}$/);
    assert.match(m.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(m.resourceVersion, /^\d+$/);
    assert.equal(m.namespace, 'default');
    assert.ok(Array.isArray(m.managedFields) && m.managedFields.length === 1);
    const g = await c.admin.get('/api/v1/namespaces/default/configmaps/one');
    assert.equal(g.status, 200);
    assert.deepEqual(g.body.data, { a: '1' });
    assert.equal(g.body.metadata.resourceVersion, m.resourceVersion);
  });

  test('generateName produces a unique name', async () => {
    const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' } };
    const a = await c.admin.post('/api/v1/namespaces/default/configmaps', body);
    const b = await c.admin.post('/api/v1/namespaces/default/configmaps', body);
    assert.equal(a.status, 201);
    assert.match(a.body.metadata.name, /^gen-[a-z0-9]{5}$/);
    assert.notEqual(a.body.metadata.name, b.body.metadata.name);
  });

  test('409 AlreadyExists', async () => {
    await c.admin.post('/api/v1/namespaces/default/configmaps', cm('dup'));
    const r = await c.admin.post('/api/v1/namespaces/default/configmaps', cm('dup'));
    assert.equal(r.status, 409);
    assert.equal(r.body.kind, 'Status');
    assert.equal(r.body.reason, 'AlreadyExists');
    assert.equal(r.body.message, 'configmaps "dup" already exists');
    assert.deepEqual(r.body.details, { name: 'dup', kind: 'configmaps' });
  });

  test('404 NotFound with upstream message and group', async () => {
    const r = await c.admin.get('/apis/apps/v1/namespaces/default/deployments/nope');
    assert.equal(r.status, 404);
    assert.equal(r.body.message, 'deployments.apps "nope" not found');
    assert.deepEqual(r.body.details, { name: 'nope', group: 'apps', kind: 'deployments' });
  });

  test('creating in a missing namespace is 404', async () => {
    const r = await c.admin.post('/api/v1/namespaces/ghost/configmaps', cm('x'));
    assert.equal(r.status, 404);
    assert.match(r.body.message, /namespaces "ghost" not found/);
  });

  test('defaults are applied (deployment, pod template)', async () => {
    const r = await c.admin.post('/apis/apps/v1/namespaces/default/deployments', deployment('web'));
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.spec.strategy.type, 'RollingUpdate');
    assert.equal(r.body.spec.revisionHistoryLimit, 10);
    assert.equal(r.body.spec.template.spec.restartPolicy, 'Always');
    assert.equal(r.body.spec.template.spec.containers[0].imagePullPolicy, 'IfNotPresent');
    assert.equal(r.body.metadata.generation, 1);
  });

  test('422 Invalid with one cause per field', async () => {
    const bad = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bad' }, spec: { containers: [{ name: 'c' }] } };
    const r = await c.admin.post('/api/v1/namespaces/default/pods', bad);
    assert.equal(r.status, 422, r.text);
    assert.equal(r.body.reason, 'Invalid');
    assert.equal(r.body.details.kind, 'Pod');
    assert.equal(r.body.details.name, 'bad');
    const fields = r.body.details.causes.map((x: any) => x.field);
    assert.ok(fields.includes('spec.containers[0].image'), fields.join(','));
    assert.match(r.body.message, /^Pod "bad" is invalid: /);
  });

  test('invalid names are 422 (uppercase, "..", empty)', async () => {
    for (const name of ['Upper', '..', 'a_b']) {
      const r = await c.admin.post('/api/v1/namespaces/default/configmaps', cm(name));
      assert.equal(r.status, 422, `${name}: ${r.text}`);
      assert.equal(r.body.details.causes[0].field, 'metadata.name');
    }
    const r = await c.admin.post('/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} });
    assert.equal(r.status, 422);
  });
});

describe('list', () => {
  test('label selectors, field selectors, limit and continue', async () => {
    await c.admin.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'lst' } });
    for (let i = 0; i < 7; i++) {
      const r = await c.admin.post('/api/v1/namespaces/lst/configmaps', cm(`c${i}`, { i: String(i) }, { tier: i % 2 ? 'odd' : 'even', n: String(i) }));
      assert.equal(r.status, 201);
    }
    const even = await c.admin.get('/api/v1/namespaces/lst/configmaps?labelSelector=tier%3Deven');
    assert.deepEqual(even.body.items.map((x: any) => x.metadata.name), ['c0', 'c2', 'c4', 'c6']);
    const notin = await c.admin.get('/api/v1/namespaces/lst/configmaps?labelSelector=' + encodeURIComponent('n notin (0,1,2),tier'));
    assert.deepEqual(notin.body.items.map((x: any) => x.metadata.name), ['c3', 'c4', 'c5', 'c6']);
    const byName = await c.admin.get('/api/v1/namespaces/lst/configmaps?fieldSelector=metadata.name%3Dc3');
    assert.deepEqual(byName.body.items.map((x: any) => x.metadata.name), ['c3']);
    const badField = await c.admin.get('/api/v1/namespaces/lst/configmaps?fieldSelector=spec.nope%3Dx');
    assert.equal(badField.status, 400);

    const seen: string[] = [];
    let cont = '';
    let rv = '';
    for (let page = 0; page < 10; page++) {
      const r = await c.admin.get(`/api/v1/namespaces/lst/configmaps?limit=3${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
      assert.equal(r.status, 200, r.text);
      if (page === 0) {
        rv = r.body.metadata.resourceVersion;
        // A write between pages must not show up: the list is a snapshot.
        await c.admin.post('/api/v1/namespaces/lst/configmaps', cm('c99'));
      }
      seen.push(...r.body.items.map((x: any) => x.metadata.name));
      cont = r.body.metadata.continue ?? '';
      if (!cont) break;
      assert.ok(r.body.items.length === 3);
    }
    const mine = (names: string[]) => names.filter((n) => n !== 'kube-root-ca.crt');
    assert.deepEqual(mine(seen), ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6']);
    // Exact read of the old revision.
    const old = await c.admin.get(`/api/v1/namespaces/lst/configmaps?resourceVersion=${rv}&resourceVersionMatch=Exact`);
    assert.equal(old.status, 200, old.text);
    assert.equal(mine(old.body.items.map((x: any) => x.metadata.name)).length, 7);
    const now = await c.admin.get('/api/v1/namespaces/lst/configmaps');
    assert.equal(mine(now.body.items.map((x: any) => x.metadata.name)).length, 8);
  });

  test('limit with a selector counts only matches', async () => {
    const r = await c.admin.get('/api/v1/namespaces/lst/configmaps?limit=2&labelSelector=tier%3Dodd');
    assert.deepEqual(r.body.items.map((x: any) => x.metadata.name), ['c1', 'c3']);
    assert.ok(r.body.metadata.continue);
    const r2 = await c.admin.get(`/api/v1/namespaces/lst/configmaps?limit=2&labelSelector=tier%3Dodd&continue=${encodeURIComponent(r.body.metadata.continue)}`);
    assert.deepEqual(r2.body.items.map((x: any) => x.metadata.name), ['c5']);
  });

  test('list across namespaces and pod field selectors', async () => {
    const pod = (name: string, node?: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { ...(node ? { nodeName: node } : {}), containers: [{ name: 'c', image: 'busybox' }] } });
    assert.equal((await c.admin.post('/api/v1/namespaces/lst/pods', pod('p1', 'n1'))).status, 201);
    assert.equal((await c.admin.post('/api/v1/namespaces/default/pods', pod('p2'))).status, 201);
    const onN1 = await c.admin.get('/api/v1/pods?fieldSelector=spec.nodeName%3Dn1');
    assert.deepEqual(onN1.body.items.map((x: any) => x.metadata.name), ['p1']);
    const pending = await c.admin.get('/api/v1/pods?fieldSelector=status.phase%3DPending');
    assert.equal(pending.body.items.length, 2);
    assert.equal(pending.body.items[0].status.qosClass, 'BestEffort');
  });

  test('a too large resourceVersion is 504 and continue with resourceVersion is 400', async () => {
    const r = await c.admin.get('/api/v1/namespaces/default/configmaps?resourceVersion=999999999');
    assert.equal(r.status, 504);
    const r2 = await c.admin.get('/api/v1/namespaces/default/configmaps?resourceVersion=5&continue=abc');
    assert.equal(r2.status, 400);
    const r3 = await c.admin.get('/api/v1/namespaces/default/configmaps?continue=not-a-token');
    assert.equal(r3.status, 400);
  });
});

describe('update and patch', () => {
  test('update with a stale resourceVersion is 409 Conflict', async () => {
    const created = (await c.admin.post('/api/v1/namespaces/default/configmaps', cm('upd'))).body;
    const u1 = await c.admin.put('/api/v1/namespaces/default/configmaps/upd', { ...created, data: { a: '2' } });
    assert.equal(u1.status, 200, u1.text);
    assert.notEqual(u1.body.metadata.resourceVersion, created.metadata.resourceVersion);
    const u2 = await c.admin.put('/api/v1/namespaces/default/configmaps/upd', { ...created, data: { a: '3' } });
    assert.equal(u2.status, 409);
    assert.equal(u2.body.reason, 'Conflict');
    assert.equal(u2.body.message, 'Operation cannot be fulfilled on configmaps "upd": the object has been modified; please apply your changes to the latest version and try again');
    const g = await c.admin.get('/api/v1/namespaces/default/configmaps/upd');
    assert.deepEqual(g.body.data, { a: '2' });
  });

  test('a no-op update keeps the resourceVersion', async () => {
    const g = (await c.admin.get('/api/v1/namespaces/default/configmaps/upd')).body;
    const u = await c.admin.put('/api/v1/namespaces/default/configmaps/upd', g);
    assert.equal(u.status, 200);
    assert.equal(u.body.metadata.resourceVersion, g.metadata.resourceVersion);
  });

  test('generation bumps on spec changes only; status is ignored on the main resource', async () => {
    const d = (await c.admin.get('/apis/apps/v1/namespaces/default/deployments/web')).body;
    const labelled = await c.admin.patch('/apis/apps/v1/namespaces/default/deployments/web', { metadata: { labels: { x: 'y' } } }, 'application/merge-patch+json');
    assert.equal(labelled.status, 200, labelled.text);
    assert.equal(labelled.body.metadata.generation, d.metadata.generation);
    const scaled = await c.admin.patch('/apis/apps/v1/namespaces/default/deployments/web', { spec: { replicas: 3 }, status: { replicas: 42 } }, 'application/merge-patch+json');
    assert.equal(scaled.body.metadata.generation, d.metadata.generation + 1);
    assert.equal(scaled.body.status?.replicas, undefined);
    const st = await c.admin.patch('/apis/apps/v1/namespaces/default/deployments/web/status', { status: { replicas: 2 }, spec: { replicas: 9 } }, 'application/merge-patch+json');
    assert.equal(st.status, 200, st.text);
    assert.equal(st.body.status.replicas, 2);
    assert.equal(st.body.spec.replicas, 3);
    assert.equal(st.body.metadata.generation, scaled.body.metadata.generation);
  });

  test('strategic merge patch merges containers by name', async () => {
    const r = await c.admin.patch(
      '/apis/apps/v1/namespaces/default/deployments/web',
      { spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'busybox' }, { name: 'web', image: 'nginx:1.28' }] } } } },
      'application/strategic-merge-patch+json',
    );
    assert.equal(r.status, 200, r.text);
    const cs = r.body.spec.template.spec.containers;
    // Upstream's order: elements named in the patch come first, in the patch's order (as in the
    // kubectl patch documentation, where the added container is listed first).
    assert.deepEqual(cs.map((x: any) => [x.name, x.image]), [['sidecar', 'busybox'], ['web', 'nginx:1.28']]);
    assert.equal(cs[1].imagePullPolicy, 'IfNotPresent');
  });

  test('json patch, including a failing test op', async () => {
    const ok = await c.admin.patch('/api/v1/namespaces/default/configmaps/upd', [{ op: 'add', path: '/data/b', value: 'x' }], 'application/json-patch+json');
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.body.data, { a: '2', b: 'x' });
    const bad = await c.admin.patch('/api/v1/namespaces/default/configmaps/upd', [{ op: 'test', path: '/data/a', value: 'nope' }], 'application/json-patch+json');
    assert.ok(bad.status >= 400 && bad.status < 500, bad.text);
    assert.equal(bad.body.kind, 'Status');
  });

  test('scale subresource reads and writes replicas', async () => {
    const s = await c.admin.get('/apis/apps/v1/namespaces/default/deployments/web/scale');
    assert.equal(s.status, 200, s.text);
    assert.equal(s.body.kind, 'Scale');
    assert.equal(s.body.apiVersion, 'autoscaling/v1');
    assert.equal(s.body.spec.replicas, 3);
    assert.equal(s.body.status.selector, 'app=web');
    const p = await c.admin.patch('/apis/apps/v1/namespaces/default/deployments/web/scale', { spec: { replicas: 5 } }, 'application/merge-patch+json');
    assert.equal(p.status, 200, p.text);
    assert.equal(p.body.spec.replicas, 5);
    const d = await c.admin.get('/apis/apps/v1/namespaces/default/deployments/web');
    assert.equal(d.body.spec.replicas, 5);
  });

  test('server-side apply: create, conflict without force, force takes ownership', async () => {
    const applied = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa' }, data: { k: 'a' } };
    const noMgr = await c.admin.patch('/api/v1/namespaces/default/configmaps/ssa', applied, 'application/apply-patch+yaml');
    assert.equal(noMgr.status, 422, noMgr.text);
    const a = await c.admin.patch('/api/v1/namespaces/default/configmaps/ssa?fieldManager=alice', applied, 'application/apply-patch+yaml');
    assert.equal(a.status, 201, a.text);
    assert.equal(a.body.metadata.managedFields[0].manager, 'alice');
    assert.equal(a.body.metadata.managedFields[0].operation, 'Apply');
    const b = await c.admin.patch('/api/v1/namespaces/default/configmaps/ssa?fieldManager=bob', { ...applied, data: { k: 'b' } }, 'application/apply-patch+yaml');
    assert.equal(b.status, 409, b.text);
    assert.match(b.body.message, /conflict with "alice"/);
    const f = await c.admin.patch('/api/v1/namespaces/default/configmaps/ssa?fieldManager=bob&force=true', { ...applied, data: { k: 'b' } }, 'application/apply-patch+yaml');
    assert.equal(f.status, 200, f.text);
    assert.deepEqual(f.body.data, { k: 'b' });
  });
});

describe('delete', () => {
  test('finalizers keep the object until removed', async () => {
    const body = { ...cm('fin'), metadata: { name: 'fin', finalizers: ['example.com/hold'] } };
    assert.equal((await c.admin.post('/api/v1/namespaces/default/configmaps', body)).status, 201);
    const d = await c.admin.delete('/api/v1/namespaces/default/configmaps/fin');
    assert.equal(d.status, 200, d.text);
    assert.ok(d.body.metadata.deletionTimestamp);
    const still = await c.admin.get('/api/v1/namespaces/default/configmaps/fin');
    assert.equal(still.status, 200);
    const rm = await c.admin.patch('/api/v1/namespaces/default/configmaps/fin', { metadata: { finalizers: null } }, 'application/merge-patch+json');
    assert.equal(rm.status, 200, rm.text);
    const gone = await c.admin.get('/api/v1/namespaces/default/configmaps/fin');
    assert.equal(gone.status, 404);
  });

  test('delete answers a Success Status and preconditions are checked', async () => {
    const created = (await c.admin.post('/api/v1/namespaces/default/configmaps', cm('del'))).body;
    const wrong = await c.admin.delete('/api/v1/namespaces/default/configmaps/del', { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: 'other' } });
    assert.equal(wrong.status, 409);
    const d = await c.admin.delete('/api/v1/namespaces/default/configmaps/del', { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: created.metadata.uid } });
    assert.equal(d.status, 200, d.text);
    assert.equal(d.body.kind, 'Status');
    assert.equal(d.body.status, 'Success');
    assert.equal(d.body.details.name, 'del');
    assert.equal((await c.admin.delete('/api/v1/namespaces/default/configmaps/del')).status, 404);
  });

  test('dryRun=All validates and admits but stores nothing', async () => {
    const before = (await c.admin.get('/api/v1/namespaces/default/configmaps')).body.metadata.resourceVersion;
    const r = await c.admin.post('/api/v1/namespaces/default/configmaps?dryRun=All', cm('dry'));
    assert.equal(r.status, 201, r.text);
    assert.equal((await c.admin.get('/api/v1/namespaces/default/configmaps/dry')).status, 404);
    const bad = await c.admin.post('/api/v1/namespaces/default/configmaps?dryRun=All', cm('Bad_Name'));
    assert.equal(bad.status, 422);
    const del = await c.admin.delete('/api/v1/namespaces/default/configmaps/upd', { kind: 'DeleteOptions', apiVersion: 'v1', dryRun: ['All'] });
    assert.equal(del.status, 200, del.text);
    assert.equal((await c.admin.get('/api/v1/namespaces/default/configmaps/upd')).status, 200);
    const after = (await c.admin.get('/api/v1/namespaces/default/configmaps')).body.metadata.resourceVersion;
    assert.equal(after, before);
  });

  test('propagation: background deletes dependents, orphan keeps them', async () => {
    const owner = (await c.admin.post('/api/v1/namespaces/default/configmaps', cm('owner'))).body;
    const ref = [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid }];
    await c.admin.post('/api/v1/namespaces/default/configmaps', { ...cm('dep1'), metadata: { name: 'dep1', ownerReferences: ref } });
    const d = await c.admin.delete('/api/v1/namespaces/default/configmaps/owner?propagationPolicy=Background');
    assert.equal(d.status, 200);
    await waitFor(async () => (await c.admin.get('/api/v1/namespaces/default/configmaps/dep1')).status === 404);

    const owner2 = (await c.admin.post('/api/v1/namespaces/default/configmaps', cm('owner2'))).body;
    const ref2 = [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner2', uid: owner2.metadata.uid }];
    await c.admin.post('/api/v1/namespaces/default/configmaps', { ...cm('dep2'), metadata: { name: 'dep2', ownerReferences: ref2 } });
    await c.admin.delete('/api/v1/namespaces/default/configmaps/owner2?propagationPolicy=Orphan');
    await waitFor(async () => (await c.admin.get('/api/v1/namespaces/default/configmaps/owner2')).status === 404);
    const dep2 = await c.admin.get('/api/v1/namespaces/default/configmaps/dep2');
    assert.equal(dep2.status, 200);
    assert.equal(dep2.body.metadata.ownerReferences, undefined);
  });

  test('foreground deletion removes dependents before the owner', async () => {
    const owner = (await c.admin.post('/api/v1/namespaces/default/configmaps', cm('fg'))).body;
    const ref = [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'fg', uid: owner.metadata.uid, blockOwnerDeletion: true }];
    await c.admin.post('/api/v1/namespaces/default/configmaps', { ...cm('fgdep'), metadata: { name: 'fgdep', ownerReferences: ref } });
    const d = await c.admin.delete('/api/v1/namespaces/default/configmaps/fg', { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground' });
    assert.equal(d.status, 200, d.text);
    assert.ok(d.body.metadata.finalizers.includes('foregroundDeletion'));
    await waitFor(async () => (await c.admin.get('/api/v1/namespaces/default/configmaps/fg')).status === 404);
    assert.equal((await c.admin.get('/api/v1/namespaces/default/configmaps/fgdep')).status, 404);
  });

  test('deletecollection with a label selector', async () => {
    const r = await c.admin.delete('/api/v1/namespaces/lst/configmaps?labelSelector=tier%3Dodd');
    assert.equal(r.status, 200, r.text);
    const left = await c.admin.get('/api/v1/namespaces/lst/configmaps');
    // kube-root-ca.crt is published into every namespace by the service-account controller.
    assert.deepEqual(left.body.items.map((x: any) => x.metadata.name).filter((n: string) => n !== 'kube-root-ca.crt'), ['c0', 'c2', 'c4', 'c6', 'c99']);
  });

  test('deleting a namespace removes its content, system namespaces stay', async () => {
    const d = await c.admin.delete('/api/v1/namespaces/lst');
    assert.equal(d.status, 200, d.text);
    assert.equal(d.body.status.phase, 'Terminating');
    const create = await c.admin.post('/api/v1/namespaces/lst/configmaps', cm('late'));
    assert.equal(create.status, 403, create.text);
    assert.match(create.body.message, /because it is being terminated/);
    await waitFor(async () => (await c.admin.get('/api/v1/namespaces/lst')).status === 404, 10000);
    const r = await c.admin.delete('/api/v1/namespaces/default');
    assert.equal(r.status, 403);
    assert.equal(r.body.message, 'namespaces "default" is forbidden: this namespace may not be deleted');
  });
});

describe('query booleans as apimachinery parses them', () => {
  test('watch=True is a watch (the Python client sends it), watch=False a list', async () => {
    await c.admin.post('/api/v1/namespaces/default/configmaps', cm('qb-watch'));
    const w = await c.admin.watch('/api/v1/namespaces/default/configmaps?watch=True&fieldSelector=metadata.name%3Dqb-watch', (ev) => ev.length > 0);
    assert.equal(w.status, 200);
    assert.equal(w.events[0]?.type, 'ADDED');
    assert.equal(w.events[0]?.object.metadata.name, 'qb-watch');
    const l = await c.admin.get('/api/v1/namespaces/default/configmaps?watch=FALSE&fieldSelector=metadata.name%3Dqb-watch');
    assert.equal(l.body.kind, 'ConfigMapList');
  });

  test('force=True takes ownership on a server-side apply conflict', async () => {
    const applied = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'qb-force' }, data: { k: 'a' } };
    const path = '/api/v1/namespaces/default/configmaps/qb-force';
    assert.equal((await c.admin.patch(`${path}?fieldManager=alice`, applied, 'application/apply-patch+yaml')).status, 201);
    const conflict = await c.admin.patch(`${path}?fieldManager=bob&force=False`, { ...applied, data: { k: 'b' } }, 'application/apply-patch+yaml');
    assert.equal(conflict.status, 409, conflict.text);
    const f = await c.admin.patch(`${path}?fieldManager=bob&force=True`, { ...applied, data: { k: 'b' } }, 'application/apply-patch+yaml');
    assert.equal(f.status, 200, f.text);
    assert.deepEqual(f.body.data, { k: 'b' });
  });

  test('orphanDependents=True orphans', async () => {
    await c.admin.post('/api/v1/namespaces/default/configmaps', cm('qb-orphan'));
    const d = await c.admin.delete('/api/v1/namespaces/default/configmaps/qb-orphan?orphanDependents=True');
    assert.equal(d.status, 200, d.text);
    assert.deepEqual(d.body.metadata?.finalizers, ['orphan']);
  });
});

describe('typed decoding', () => {
  const pod = (name: string, spec: unknown, metadata: Record<string, unknown> = {}) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, ...metadata },
    spec,
  });
  const spec = { containers: [{ name: 'c', image: 'nginx' }] };

  test('create with a wrongly typed field is 400 with the decoder message', async () => {
    const labels = await c.admin.post('/api/v1/namespaces/default/pods', pod('td-labels', spec, { labels: 'invalid' }));
    assert.equal(labels.status, 400, labels.text);
    assert.equal(labels.body.reason, 'BadRequest');
    assert.equal(
      labels.body.message,
      'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field ObjectMeta.metadata.labels of type map[string]string',
    );
    assert.equal((await c.admin.get('/api/v1/namespaces/default/pods/td-labels')).status, 404);
    const containers = await c.admin.post('/api/v1/namespaces/default/pods', pod('td-containers', { containers: 'oops' }));
    assert.equal(containers.status, 400, containers.text);
    assert.equal(
      containers.body.message,
      'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field PodSpec.spec.containers of type []v1.Container',
    );
    const replicas = await c.admin.post('/apis/apps/v1/namespaces/default/deployments', { ...deployment('td-dep'), spec: { ...deployment('td-dep').spec, replicas: '3' } });
    assert.equal(replicas.status, 400, replicas.text);
    assert.equal(
      replicas.body.message,
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32',
    );
    const secret = await c.admin.post('/api/v1/namespaces/default/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'td-s' }, data: { k: 'not base64' } });
    assert.equal(secret.status, 400, secret.text);
    assert.equal(secret.body.message, 'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 3');
  });

  test('update with a wrongly typed field is 400', async () => {
    const created = await c.admin.post('/api/v1/namespaces/default/configmaps', cm('td-upd'));
    assert.equal(created.status, 201, created.text);
    const r = await c.admin.put('/api/v1/namespaces/default/configmaps/td-upd', { ...created.body, data: { a: 1 } });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.message, 'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string');
  });

  test('every patch type is checked after it is applied: 422 on the field "patch"', async () => {
    assert.equal((await c.admin.post('/api/v1/namespaces/default/configmaps', cm('td-patch'))).status, 201);
    const path = '/api/v1/namespaces/default/configmaps/td-patch';
    const merge = await c.admin.patch(path, { metadata: { labels: 'invalid' } }, 'application/merge-patch+json');
    assert.equal(merge.status, 422, merge.text);
    assert.equal(merge.body.reason, 'Invalid');
    assert.match(merge.body.message, /^"" is invalid: patch: Invalid value: "\{\\"apiVersion\\":\\"v1\\",.*\}": json: cannot unmarshal string into Go struct field ObjectMeta\.metadata\.labels of type map\[string\]string$/);
    assert.equal(merge.body.details.causes[0].field, 'patch');
    const json = await c.admin.patch(path, [{ op: 'add', path: '/data', value: 'x' }], 'application/json-patch+json');
    assert.equal(json.status, 422, json.text);
    assert.match(json.body.message, /json: cannot unmarshal string into Go struct field ConfigMap\.data of type map\[string\]string$/);
    const smp = await c.admin.patch(path, { metadata: { labels: 'invalid' } }, 'application/strategic-merge-patch+json');
    assert.equal(smp.status, 422, smp.text);
    assert.equal(smp.body.message, '"" is invalid: patch: Invalid value: "map[metadata:map[labels:invalid]]": cannot restore map from string');
    const got = await c.admin.get(path);
    assert.deepEqual(got.body.metadata.labels, undefined);
  });
});

describe('update with resourceVersion "0"', () => {
  test('is unconditional for built-in kinds', async () => {
    const created = await c.admin.post('/api/v1/namespaces/default/configmaps', cm('rv0'));
    assert.equal(created.status, 201, created.text);
    const r = await c.admin.put('/api/v1/namespaces/default/configmaps/rv0', { ...cm('rv0', { a: '2' }), metadata: { name: 'rv0', resourceVersion: '0' } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.data, { a: '2' });
    assert.notEqual(r.body.metadata.resourceVersion, created.body.metadata.resourceVersion);
  });
});

describe('response shapes as upstream writes them', () => {
  test('objects keep the status stanza upstream always returns', async () => {
    const svc = await c.admin.post('/api/v1/namespaces/default/services', {
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'shape-svc' }, spec: { ports: [{ port: 80 }] },
    });
    assert.equal(svc.status, 201, svc.text);
    assert.deepEqual(svc.body.status, { loadBalancer: {} });
    assert.deepEqual((await c.admin.get('/api/v1/namespaces/default/services/shape-svc')).body.status, { loadBalancer: {} });
    const dep = await c.admin.post('/apis/apps/v1/namespaces/default/deployments', deployment('shape-dep'));
    assert.equal(dep.status, 201, dep.text);
    assert.ok(dep.text.includes('"status":{'), dep.text);
    const upd = await c.admin.put('/apis/apps/v1/namespaces/default/deployments/shape-dep', { ...dep.body, status: undefined });
    assert.equal(upd.status, 200, upd.text);
    assert.ok(upd.body.status && typeof upd.body.status === 'object');
  });

  test('Status bodies in upstream field order, ending with a newline', async () => {
    const nf = await c.admin.get('/api/v1/namespaces/default/configmaps/shape-missing');
    assert.equal(nf.status, 404);
    assert.equal(
      nf.text,
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \\"shape-missing\\" not found","reason":"NotFound","details":{"name":"shape-missing","kind":"configmaps"},"code":404}\n',
    );
    await c.admin.post('/api/v1/namespaces/default/configmaps', cm('shape-del'));
    const d = await c.admin.delete('/api/v1/namespaces/default/configmaps/shape-del');
    assert.equal(d.status, 200);
    assert.match(d.text, /^\{"kind":"Status","apiVersion":"v1","metadata":\{\},"status":"Success","details":\{"name":"shape-del","kind":"configmaps","uid":"[0-9a-f-]+"\},"code":200\}\n$/);
  });

  test('deletecollection answers with the list of deleted objects', async () => {
    for (const n of ['dc-a', 'dc-b']) await c.admin.post('/api/v1/namespaces/default/configmaps', cm(n, { a: '1' }, { shape: 'dc' }));
    const r = await c.admin.delete('/api/v1/namespaces/default/configmaps?labelSelector=shape%3Ddc');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.kind, 'ConfigMapList');
    assert.equal(r.body.apiVersion, 'v1');
    assert.match(r.body.metadata.resourceVersion, /^\d+$/);
    assert.deepEqual(r.body.items.map((x: any) => x.metadata.name).sort(), ['dc-a', 'dc-b']);
    assert.equal((await c.admin.get('/api/v1/namespaces/default/configmaps?labelSelector=shape%3Ddc')).body.items.length, 0);
  });
});

async function waitFor(cond: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail('condition not met in time');
}
