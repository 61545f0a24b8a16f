import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterPerFile } from '../helpers/cluster.ts';

const c = clusterPerFile();

const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['wd'] },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['size'],
                properties: {
                  size: { type: 'integer', minimum: 1, maximum: 10 },
                  color: { type: 'string', enum: ['red', 'blue'], default: 'red' },
                  replicas: { type: 'integer' },
                },
              },
              status: { type: 'object', properties: { replicas: { type: 'integer' } } },
            },
          },
        },
      },
    ],
  },
};

const W = '/apis/example.com/v1/namespaces/default/widgets';

test('a CRD is established and its resources are served with schema validation', async () => {
  const r = await c.admin.post('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
  assert.equal(r.status, 201, r.text);
  // Registration happens through the CRD controller's watch.
  for (let i = 0; i < 100; i++) {
    const l = await c.admin.get(W);
    if (l.status === 200) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  const got = await c.admin.get('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com');
  const established = got.body.status?.conditions?.find((x: any) => x.type === 'Established');
  assert.equal(established?.status, 'True');

  const disc = await c.admin.get('/apis/example.com/v1');
  assert.equal(disc.status, 200);
  assert.ok(disc.body.resources.some((x: any) => x.name === 'widgets' && x.kind === 'Widget'));

  const ok = await c.admin.post(W, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 3, extra: 'x' }, status: { replicas: 7 } });
  assert.equal(ok.status, 201, ok.text);
  assert.equal(ok.body.spec.color, 'red', 'schema default applied');
  assert.equal(ok.body.spec.extra, undefined, 'unknown field pruned');
  assert.equal(ok.body.status, undefined, 'status is reset on create when it is a subresource');
  assert.equal(ok.body.metadata.generation, 1);
  assert.match(String(ok.headers.warning), /unknown field \\"spec.extra\\"/);

  const bad = await c.admin.post(W, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w2' }, spec: { size: 11, color: 'pink' } });
  assert.equal(bad.status, 422, bad.text);
  assert.equal(bad.body.details.kind, 'Widget');
  assert.equal(bad.body.details.group, 'example.com');
  const fields = bad.body.details.causes.map((x: any) => x.field).sort();
  assert.deepEqual(fields, ['spec.color', 'spec.size']);

  const missing = await c.admin.post(W, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w3' }, spec: {} });
  assert.equal(missing.status, 422);
  assert.match(missing.body.message, /spec.size: Required value/);

  const st = await c.admin.patch(`${W}/w1/status`, { status: { replicas: 2 } }, 'application/merge-patch+json');
  assert.equal(st.status, 200, st.text);
  assert.equal(st.body.status.replicas, 2);
  const sc = await c.admin.get(`${W}/w1/scale`);
  assert.equal(sc.status, 200, sc.text);
  assert.equal(sc.body.status.replicas, 2);

  const smp = await c.admin.patch(`${W}/w1`, { spec: { size: 4 } }, 'application/strategic-merge-patch+json');
  assert.equal(smp.status, 415, smp.text);
  const mp = await c.admin.patch(`${W}/w1`, { spec: { size: 4 } }, 'application/merge-patch+json');
  assert.equal(mp.status, 200, mp.text);
  assert.equal(mp.body.metadata.generation, 2);
});

test('a PUT of a custom resource without resourceVersion is 422 (no unconditional update), with it 200', async () => {
  const cur = await c.admin.get(`${W}/w1`);
  assert.equal(cur.status, 200, cur.text);
  const { resourceVersion, ...meta } = cur.body.metadata;
  const r = await c.admin.put(`${W}/w1`, { ...cur.body, metadata: meta, spec: { ...cur.body.spec, size: 5 } });
  assert.equal(r.status, 422, r.text);
  // Upstream's Store.Update names the resource where the kind goes, and Go's %#v of uint64 0.
  assert.deepEqual(r.body, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'widgets.example.com "w1" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update',
    reason: 'Invalid',
    details: {
      name: 'w1',
      group: 'example.com',
      kind: 'widgets',
      causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: 0x0: must be specified for an update', field: 'metadata.resourceVersion' }],
    },
    code: 422,
  });
  assert.equal((await c.admin.get(`${W}/w1`)).body.spec.size, cur.body.spec.size);
  const ok = await c.admin.put(`${W}/w1`, { ...cur.body, metadata: { ...meta, resourceVersion }, spec: { ...cur.body.spec, size: 5 } });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.spec.size, 5);
});

test('deleting the CRD stops serving its resources', async () => {
  const d = await c.admin.delete('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com');
  assert.equal(d.status, 200, d.text);
  for (let i = 0; i < 100; i++) {
    if ((await c.admin.get(W)).status === 404) return;
    await new Promise((res) => setTimeout(res, 50));
  }
  assert.fail('custom resources still served');
});
