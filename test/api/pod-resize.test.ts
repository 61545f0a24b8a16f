/** pods/resize through the API: served as upstream 1.33 serves it (verbs, RBAC on the subresource, validation, kubectl --subresource resize). */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { clusterPerFile } from '../helpers/cluster.ts';
import { kubectlSkip, runKubectl } from '../helpers/kubectl.ts';

const c = clusterPerFile();

const NS = '/api/v1/namespaces/default';
const resources = { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } };

/** A pod as a node agent reports it running: status.containerStatuses[].resources set. */
async function runningPod(name: string): Promise<void> {
  const r = await c.admin.post(`${NS}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'app', image: 'busybox', resources }] } });
  assert.equal(r.status, 201, r.text);
  const status = { phase: 'Running', containerStatuses: [{ name: 'app', image: 'busybox', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: '2026-01-01T00:00:00Z' } }, resources }] };
  const s = await c.admin.patch(`${NS}/pods/${name}/status`, { status }, 'application/merge-patch+json');
  assert.equal(s.status, 200, s.text);
}

test('discovery lists pods/resize (kind Pod; get, patch, update)', async () => {
  const r = await c.admin.get('/api/v1');
  const res = r.body.resources.find((x: any) => x.name === 'pods/resize');
  assert.deepEqual(res, { name: 'pods/resize', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get', 'patch', 'update'] });
});

test('a strategic merge patch to pods/resize changes the resources and nothing else; a plain patch may not', async () => {
  await runningPod('r1');
  const before = (await c.admin.get(`${NS}/pods/r1`)).body;
  const plain = await c.admin.patch(`${NS}/pods/r1`, { spec: { containers: [{ name: 'app', resources: { requests: { cpu: '150m' } } }] } }, 'application/strategic-merge-patch+json');
  assert.equal(plain.status, 422, plain.text);
  assert.match(plain.body.message, /pod updates may not change fields other than `spec.containers\[\*\].image`/);
  const patch = { metadata: { labels: { sneaky: 'yes' } }, spec: { containers: [{ name: 'app', image: 'nginx', resources: { requests: { cpu: '150m' }, limits: { cpu: '300m', memory: '256Mi' } } }] } };
  const r = await c.admin.patch(`${NS}/pods/r1/resize`, patch, 'application/strategic-merge-patch+json');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.kind, 'Pod');
  assert.deepEqual(r.body.spec.containers[0].resources, { requests: { cpu: '150m', memory: '64Mi' }, limits: { cpu: '300m', memory: '256Mi' } });
  assert.equal(r.body.spec.containers[0].image, 'busybox');
  assert.equal(r.body.metadata.labels, before.metadata.labels);
  assert.deepEqual(r.body.status, { ...before.status });
  const got = await c.admin.get(`${NS}/pods/r1/resize`);
  assert.equal(got.status, 200);
  assert.equal(got.body.spec.containers[0].resources.limits.memory, '256Mi');
});

test('pods/resize refuses what upstream refuses, with its messages', async () => {
  await runningPod('r2');
  const lower = await c.admin.patch(`${NS}/pods/r2/resize`, { spec: { containers: [{ name: 'app', resources: { limits: { memory: '100Mi' } } }] } }, 'application/strategic-merge-patch+json');
  assert.equal(lower.status, 422, lower.text);
  assert.equal(lower.body.message, 'Pod "r2" is invalid: spec.containers[0].resources.limits[memory]: Forbidden: memory limits cannot be decreased unless resizePolicy is RestartContainer');
  const qos = await c.admin.patch(`${NS}/pods/r2/resize`, [{ op: 'replace', path: '/spec/containers/0/resources/requests/cpu', value: '200m' }, { op: 'replace', path: '/spec/containers/0/resources/requests/memory', value: '128Mi' }], 'application/json-patch+json');
  assert.equal(qos.status, 422, qos.text);
  assert.equal(qos.body.message, 'Pod "r2" is invalid: spec: Invalid value: "Burstable": Pod QOS Class may not change as a result of resizing');
  const post = await c.admin.post(`${NS}/pods/r2/resize`, {});
  assert.equal(post.status, 405, post.text);
});

test('RBAC: pods patch without pods/resize is refused on the subresource', async () => {
  await runningPod('r3');
  const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'patcher' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'patch', 'update'] }] };
  assert.equal((await c.admin.post('/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles', role)).status, 201);
  const rb = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'patcher' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'patcher' }, subjects: [{ kind: 'User', name: 'pat' }] };
  assert.equal((await c.admin.post('/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings', rb)).status, 201);
  const pat = c.as('pat');
  const body = { spec: { containers: [{ name: 'app', resources: { requests: { cpu: '150m' } } }] } };
  // The role is effective once a plain patch gets through authorization (to validation's 422).
  let plain = await pat.patch(`${NS}/pods/r3`, body, 'application/strategic-merge-patch+json');
  for (let i = 0; i < 50 && plain.status === 403; i++) {
    await new Promise((r) => setTimeout(r, 20));
    plain = await pat.patch(`${NS}/pods/r3`, body, 'application/strategic-merge-patch+json');
  }
  assert.equal(plain.status, 422, plain.text);
  const denied = await pat.patch(`${NS}/pods/r3/resize`, body, 'application/strategic-merge-patch+json');
  assert.equal(denied.status, 403, denied.text);
  assert.equal(denied.body.message, 'pods "r3" is forbidden: User "pat" cannot patch resource "pods/resize" in API group "" in the namespace "default"');
});

test('kubectl 1.33 patch --subresource resize', { skip: kubectlSkip(33) }, async () => {
  await runningPod('r4');
  const kc = join(c.dataDir, 'admin.kubeconfig');
  const r = await runKubectl(33, kc, ['-n', 'default', 'patch', 'pod', 'r4', '--subresource', 'resize', '--patch', '{"spec":{"containers":[{"name":"app","resources":{"requests":{"cpu":"120m"}}}]}}']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'pod/r4 patched');
  const got = await c.admin.get(`${NS}/pods/r4`);
  assert.equal(got.body.spec.containers[0].resources.requests.cpu, '120m');
  const bad = await runKubectl(33, kc, ['-n', 'default', 'patch', 'pod', 'r4', '--subresource', 'resize', '--patch', '{"spec":{"containers":[{"name":"app","resources":{"limits":{"memory":"100Mi"}}}]}}']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /memory limits cannot be decreased unless resizePolicy is RestartContainer/);
});

test('ResourceQuota judges a resize by what it adds', async () => {
  assert.equal((await c.admin.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'rq' } })).status, 201);
  const q = await c.admin.post('/api/v1/namespaces/rq/resourcequotas', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q' }, spec: { hard: { 'requests.cpu': '300m' } } });
  assert.equal(q.status, 201, q.text);
  for (let i = 0; i < 200 && !(await c.admin.get('/api/v1/namespaces/rq/resourcequotas/q')).body.status?.hard; i++) await new Promise((r) => setTimeout(r, 20));
  const created = await c.admin.post('/api/v1/namespaces/rq/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'r5' }, spec: { containers: [{ name: 'app', image: 'busybox', resources: { requests: { cpu: '100m' }, limits: { cpu: '1' } } }] } });
  assert.equal(created.status, 201, created.text);
  const over = await c.admin.patch('/api/v1/namespaces/rq/pods/r5/resize', { spec: { containers: [{ name: 'app', resources: { requests: { cpu: '400m' } } }] } }, 'application/strategic-merge-patch+json');
  assert.equal(over.status, 403, over.text);
  assert.match(over.body.message, /^pods "r5" is forbidden: exceeded quota: q, requested: requests\.cpu=300m, used: requests\.cpu=100m, limited: requests\.cpu=300m$/);
  const within = await c.admin.patch('/api/v1/namespaces/rq/pods/r5/resize', { spec: { containers: [{ name: 'app', resources: { requests: { cpu: '300m' } } }] } }, 'application/strategic-merge-patch+json');
  assert.equal(within.status, 200, within.text);
});

test('pods/resize in the OpenAPI document; its writes record the subresource in managedFields (Update and Apply)', async () => {
  await runningPod('r6');
  const doc = await c.admin.get('/openapi/v2');
  const ops = doc.body.paths['/api/v1/namespaces/{namespace}/pods/{name}/resize'];
  assert.deepEqual(
    ['get', 'put', 'patch'].map((m) => [ops?.[m]?.operationId, ops?.[m]?.description]),
    [
      ['readCoreV1NamespacedPodResize', 'read resize of the specified Pod'],
      ['replaceCoreV1NamespacedPodResize', 'replace resize of the specified Pod'],
      ['patchCoreV1NamespacedPodResize', 'partially update resize of the specified Pod'],
    ],
  );
  const r = await c.admin.patch(`${NS}/pods/r6/resize?fieldManager=resizer`, { spec: { containers: [{ name: 'app', resources: { requests: { cpu: '150m' } } }] } }, 'application/strategic-merge-patch+json');
  assert.equal(r.status, 200, r.text);
  const entry = r.body.metadata.managedFields.find((m: any) => m.manager === 'resizer');
  assert.deepEqual([entry?.operation, entry?.subresource], ['Update', 'resize']);
  // What the applied configuration names besides (labels, the image, nodeName) is neither written nor
  // owned: podResizeStrategy's resetFieldsFilter keeps spec.(init)containers[*].resources and resizePolicy.
  const applied = JSON.stringify({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'r6', labels: { mine: 'yes' }, annotations: { a: 'b' } },
    spec: { nodeName: 'elsewhere', containers: [{ name: 'app', image: 'other', resources: { requests: { cpu: '160m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } } }] },
  });
  const ssa = await c.admin.patch(`${NS}/pods/r6/resize?fieldManager=vpa&force=true`, applied as never, 'application/apply-patch+yaml');
  assert.equal(ssa.status, 200, ssa.text);
  assert.equal(ssa.body.spec.containers[0].resources.requests.cpu, '160m');
  assert.equal(ssa.body.spec.containers[0].image, 'busybox');
  assert.equal(ssa.body.metadata.labels?.mine, undefined);
  const own = ssa.body.metadata.managedFields.find((m: any) => m.manager === 'vpa');
  assert.deepEqual([own?.operation, own?.subresource], ['Apply', 'resize']);
  // Set.FilterIncludeMatches: the item itself (".") stays, its key field and image do not.
  assert.deepEqual(own.fieldsV1, {
    'f:spec': { 'f:containers': { 'k:{"name":"app"}': { '.': {}, 'f:resources': { 'f:limits': { 'f:cpu': {}, 'f:memory': {} }, 'f:requests': { 'f:cpu': {}, 'f:memory': {} } } } } },
  });
});

test('update (PUT) through pods/resize: the object read from the subresource, its resources changed', async () => {
  await runningPod('r7');
  const got = (await c.admin.get(`${NS}/pods/r7/resize`)).body;
  got.spec.containers[0].resources.requests.cpu = '180m';
  got.spec.containers[0].image = 'ignored';
  const put = await c.admin.put(`${NS}/pods/r7/resize`, got);
  assert.equal(put.status, 200, put.text);
  assert.equal(put.body.spec.containers[0].resources.requests.cpu, '180m');
  assert.equal(put.body.spec.containers[0].image, 'busybox');
  // A stale resourceVersion is a conflict, as any update.
  const stale = await c.admin.put(`${NS}/pods/r7/resize`, got);
  assert.equal(stale.status, 409, stale.text);
});
