/** Subresources as data on the resource definitions: discovery, eviction with budgets, RBAC on the subresource. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterPerFile } from '../helpers/cluster.ts';

const c = clusterPerFile();

const NS = '/api/v1/namespaces/default';
const pod = (name: string, labels: Record<string, string> = { app: 'web' }) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels },
  spec: { containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '100m' }, limits: { cpu: '200m' } } }] },
});

async function runningReadyPod(name: string): Promise<void> {
  const r = await c.admin.post(`${NS}/pods`, pod(name));
  assert.equal(r.status, 201, r.text);
  const s = await c.admin.patch(`${NS}/pods/${name}/status`, { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }, 'application/merge-patch+json');
  assert.equal(s.status, 200, s.text);
}

async function budget(name: string, disruptionsAllowed: number): Promise<void> {
  const r = await c.admin.post('/apis/policy/v1/namespaces/default/poddisruptionbudgets', { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } } });
  assert.equal(r.status, 201, r.text);
  const s = await c.admin.patch(`/apis/policy/v1/namespaces/default/poddisruptionbudgets/${name}/status`, { status: { observedGeneration: 1, disruptionsAllowed, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 } }, 'application/merge-patch+json');
  assert.equal(s.status, 200, s.text);
}

const eviction = (name: string) => ({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'default' } });

test('discovery lists the pod subresources with their kinds, as upstream', async () => {
  const r = await c.admin.get('/api/v1');
  const byName = new Map(r.body.resources.map((x: any) => [x.name, x]));
  assert.deepEqual(byName.get('pods/eviction'), { name: 'pods/eviction', singularName: '', namespaced: true, group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] });
  assert.deepEqual(byName.get('pods/binding'), { name: 'pods/binding', singularName: '', namespaced: true, kind: 'Binding', verbs: ['create'] });
  assert.ok(byName.get('nodes/status'));
  assert.ok(byName.get('replicationcontrollers/scale'));
  const agg = await c.admin.get('/api', { headers: { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' } });
  const pods = agg.body.items[0].versions[0].resources.find((x: any) => x.resource === 'pods');
  assert.deepEqual(pods.subresources.map((s: any) => s.subresource), ['attach', 'binding', 'ephemeralcontainers', 'eviction', 'exec', 'log', 'portforward', 'resize', 'status']);
  assert.deepEqual(byName.get('pods/exec'), { name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] });
  assert.deepEqual(byName.get('pods/log'), { name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] });
  assert.deepEqual(byName.get('pods/portforward'), { name: 'pods/portforward', singularName: '', namespaced: true, kind: 'PodPortForwardOptions', verbs: ['create', 'get'] });
  assert.deepEqual(pods.subresources.find((s: any) => s.subresource === 'eviction'), { subresource: 'eviction', responseKind: { group: 'policy', version: 'v1', kind: 'Eviction' }, verbs: ['create'] });
  const apps = await c.admin.get('/apis/apps/v1');
  for (const n of ['deployments/scale', 'replicasets/scale', 'statefulsets/scale']) {
    assert.deepEqual(apps.body.resources.find((x: any) => x.name === n).kind, 'Scale', n);
  }
});

test('eviction: a budget with no disruptions left is a 429 DisruptionBudget; the pod stays', async () => {
  await runningReadyPod('guarded');
  await budget('pdb-zero', 0);
  const r = await c.admin.post(`${NS}/pods/guarded/eviction`, eviction('guarded'));
  assert.equal(r.status, 429, r.text);
  assert.deepEqual(r.body, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: "Cannot evict pod as it would violate the pod's disruption budget.",
    reason: 'TooManyRequests',
    details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget pdb-zero needs 1 healthy pods and has 1 currently' }] },
    code: 429,
  });
  assert.equal((await c.admin.get(`${NS}/pods/guarded`)).status, 200);
  // Name mismatch is refused before anything else.
  const bad = await c.admin.post(`${NS}/pods/guarded/eviction`, eviction('other'));
  assert.equal(bad.status, 400, bad.text);
  assert.equal(bad.body.message, 'name in URL does not match name in Eviction object');
  assert.equal((await c.admin.delete('/apis/policy/v1/namespaces/default/poddisruptionbudgets/pdb-zero')).status, 200);
  assert.equal((await c.admin.delete(`${NS}/pods/guarded?gracePeriodSeconds=0`)).status, 200);
});

test('eviction: an allowed disruption is taken from the budget and the pod deleted', async () => {
  await runningReadyPod('w1');
  await budget('pdb-one', 1);
  const r = await c.admin.post(`${NS}/pods/w1/eviction`, eviction('w1'));
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
  assert.equal((await c.admin.get(`${NS}/pods/w1`)).status, 404);
  const pdb = await c.admin.get('/apis/policy/v1/namespaces/default/poddisruptionbudgets/pdb-one');
  assert.equal(pdb.body.status.disruptionsAllowed, 0);
  assert.ok(pdb.body.status.disruptedPods.w1, JSON.stringify(pdb.body.status));
  assert.equal(pdb.body.status.conditions.find((x: any) => x.type === 'DisruptionAllowed').reason, 'InsufficientPods');
  // A pending pod is evicted without looking at budgets (canIgnorePDB).
  assert.equal((await c.admin.post(`${NS}/pods`, pod('pending'))).status, 201);
  const p = await c.admin.post(`${NS}/pods/pending/eviction`, eviction('pending'));
  assert.equal(p.status, 201, p.text);
  // The next running pod meets the exhausted budget.
  await runningReadyPod('w2');
  assert.equal((await c.admin.post(`${NS}/pods/w2/eviction`, eviction('w2'))).status, 429);
  assert.equal((await c.admin.delete('/apis/policy/v1/namespaces/default/poddisruptionbudgets/pdb-one')).status, 200);
  assert.equal((await c.admin.delete(`${NS}/pods/w2?gracePeriodSeconds=0`)).status, 200);
});

test('RBAC authorizes pods/eviction as create on the subresource', async () => {
  await runningReadyPod('rb');
  const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'evictor' }, rules: [{ apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] }] };
  assert.equal((await c.admin.post('/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles', role)).status, 201);
  const rb = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'evictor' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'evictor' }, subjects: [{ kind: 'User', name: 'ev' }] };
  assert.equal((await c.admin.post('/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings', rb)).status, 201);
  const stranger = c.as('nobody');
  const denied = await stranger.post(`${NS}/pods/rb/eviction`, eviction('rb'));
  assert.equal(denied.status, 403, denied.text);
  assert.equal(denied.body.message, 'pods "rb" is forbidden: User "nobody" cannot create resource "pods/eviction" in API group "" in the namespace "default"');
  const ev = c.as('ev');
  // The role allows evicting but not deleting the pod directly.
  assert.equal((await ev.delete(`${NS}/pods/rb`)).status, 403);
  let ok = await ev.post(`${NS}/pods/rb/eviction`, eviction('rb'));
  for (let i = 0; i < 50 && ok.status === 403; i++) {
    await new Promise((r) => setTimeout(r, 20)); // the RBAC cache catches up with the new binding
    ok = await ev.post(`${NS}/pods/rb/eviction`, eviction('rb'));
  }
  assert.equal(ok.status, 201, ok.text);
});
