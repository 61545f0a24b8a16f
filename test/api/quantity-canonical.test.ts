import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { CRDS, crdManifest, waitFor } from '../helpers/crd.ts';

// Upstream decodes a built-in object's resource.Quantity fields and encodes them canonically
// (apimachinery quantity.go): the stored object, the answer and what admission sees carry
// "500m" for "0.5". Custom resources keep the text they were given.

let c: TestCluster;
const NS = '/api/v1/namespaces/default';
before(async () => {
  c = await startTestCluster();
  await c.admin.post(`${NS}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } });
});
after(() => c.close());

const pod = (name: string, resources: unknown, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10', resources }], ...extra },
});

test('a pod created with cpu "0.5" and memory "1024Mi" reads back "500m" and "1Gi"', async () => {
  const body = pod('q1', { requests: { cpu: '0.5', memory: '1024Mi' }, limits: { cpu: 1, memory: '1.5Gi' } }, {
    volumes: [{ name: 'v', emptyDir: { sizeLimit: '1000Mi' } }],
  });
  const created = await c.admin.post(`${NS}/pods`, body);
  assert.equal(created.status, 201, created.text);
  const want = { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1', memory: '1536Mi' } };
  assert.deepEqual(created.body.spec.containers[0].resources, want);
  const got = await c.admin.get(`${NS}/pods/q1`);
  assert.deepEqual(got.body.spec.containers[0].resources, want);
  // Already canonical: kept as written.
  assert.equal(got.body.spec.volumes[0].emptyDir.sizeLimit, '1000Mi');
});

test('validation messages quote the canonical text', async () => {
  const r = await c.admin.post(`${NS}/pods`, pod('q2', { requests: { cpu: '1.5' }, limits: { cpu: '1000m' } }));
  assert.equal(r.status, 422, r.text);
  assert.match(r.body.message, /spec\.containers\[0\]\.resources\.requests: Invalid value: "1500m": must be less than or equal to cpu limit of 1(,|$)/);
});

test('a ResourceQuota hard "1000m" reads back "1", also after a merge patch', async () => {
  const created = await c.admin.post(`${NS}/resourcequotas`, {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: 'rq' },
    spec: { hard: { cpu: '1000m', pods: '10', 'requests.memory': '2048Mi' } },
  });
  assert.equal(created.status, 201, created.text);
  assert.deepEqual(created.body.spec.hard, { cpu: '1', pods: '10', 'requests.memory': '2Gi' });
  const patched = await c.admin.req('PATCH', `${NS}/resourcequotas/rq`, {
    body: JSON.stringify({ spec: { hard: { cpu: '0.25', 'requests.memory': '2000000' } } }),
    contentType: 'application/merge-patch+json',
  });
  assert.equal(patched.status, 200, patched.text);
  assert.deepEqual((await c.admin.get(`${NS}/resourcequotas/rq`)).body.spec.hard, { cpu: '250m', pods: '10', 'requests.memory': '2M' });
});

test('a custom resource keeps its quantity-like text', async () => {
  const G = '/apis/example.com/v1/namespaces/default/widgets';
  const crd = crdManifest('example.com', 'widgets', 'Widget', 'v1', 'Namespaced');
  const spec = {
    type: 'object',
    properties: {
      cpu: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
      resources: { type: 'object', additionalProperties: { type: 'string' } },
    },
  };
  crd.spec.versions[0]!.schema = { openAPIV3Schema: { type: 'object', properties: { spec } } } as never;
  assert.equal((await c.admin.post(CRDS, crd)).status, 201);
  await waitFor('the CRD served', async () => ((await c.admin.get(G)).status === 200 ? true : undefined));
  const created = await c.admin.post(G, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { cpu: '0.5', resources: { memory: '1024Mi' } } });
  assert.equal(created.status, 201, created.text);
  const got = await c.admin.get(`${G}/w`);
  assert.deepEqual(got.body.spec, { cpu: '0.5', resources: { memory: '1024Mi' } });
});
