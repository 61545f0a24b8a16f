import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterPerFile } from '../helpers/cluster.ts';
import { CRDS, waitFor } from '../helpers/crd.ts';

// Upstream decodes custom resources from storage with the CRD's current schema (pruning and
// defaulting), so a changed CRD shows in objects written before it. The JSON text cache of
// recently read objects (src/server/rest/serialize.ts) must not serve the old form.

const c = clusterPerFile();

const G = '/apis/example.com/v1/namespaces/default/gadgets';

function crd(spec: Record<string, unknown>) {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'gadgets.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget' },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: spec } } } } }],
    },
  };
}

test('after a CRD gains a default and loses a field, reading an object written before shows the default and not the field', async () => {
  assert.equal((await c.admin.post(CRDS, crd({ size: { type: 'integer' }, legacy: { type: 'string' } }))).status, 201);
  await waitFor('the CRD served', async () => ((await c.admin.get(G)).status === 200 ? true : undefined));
  const created = await c.admin.post(G, { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g1' }, spec: { size: 3, legacy: 'x' } });
  assert.equal(created.status, 201, created.text);
  // Read it (the JSON text of this revision is now cached), in a list too.
  const first = await c.admin.get(`${G}/g1`);
  assert.deepEqual(first.body.spec, { size: 3, legacy: 'x' });
  assert.equal((await c.admin.get(G)).body.items[0].spec.legacy, 'x');

  const cur = await c.admin.get(`${CRDS}/gadgets.example.com`);
  const changed = { ...crd({ size: { type: 'integer' }, color: { type: 'string', default: 'red' } }), metadata: cur.body.metadata };
  const put = await c.admin.put(`${CRDS}/gadgets.example.com`, changed);
  assert.equal(put.status, 200, put.text);

  // The same stored revision, read again once the server serves the new schema.
  const again = await waitFor('the new default on read', async () => {
    const r = await c.admin.get(`${G}/g1`);
    return r.body.spec?.color === 'red' ? r.body : undefined;
  });
  assert.deepEqual(again.spec, { size: 3, color: 'red' });
  assert.equal(again.metadata.resourceVersion, first.body.metadata.resourceVersion, 'nothing was rewritten');
  const list = await c.admin.get(G);
  assert.deepEqual(list.body.items[0].spec, { size: 3, color: 'red' });
});
