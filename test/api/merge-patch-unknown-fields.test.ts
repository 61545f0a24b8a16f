import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';

/**
 * A JSON merge patch is checked for unknown fields only where it reaches (the stored rest was
 * pruned when written): what it brings is still found, at the same paths, in every mode.
 */
let c: TestCluster;
const CM = '/api/v1/namespaces/default/configmaps';
const MERGE = 'application/merge-patch+json';
before(async () => {
  c = await startTestCluster();
  const r = await c.admin.req('POST', CM, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'm', labels: { a: '1' } }, data: { k: 'v' } } });
  assert.equal(r.status, 201, r.text);
});
after(() => c.close());

test('unknown fields a merge patch brings: warned and dropped, refused under Strict, ignored under Ignore', async () => {
  const body = JSON.stringify({ data: { k2: 'v2' }, bogus: { x: 1 }, metadata: { labels: { b: '2' }, nope: true } });
  const warned = await c.admin.req('PATCH', `${CM}/m`, { body, contentType: MERGE });
  assert.equal(warned.status, 200, warned.text);
  const warnings = String(warned.headers.warning);
  assert.match(warnings, /unknown field \\"bogus\\"/);
  assert.match(warnings, /unknown field \\"metadata.nope\\"/);
  assert.equal(warned.body.bogus, undefined);
  assert.equal(warned.body.metadata.nope, undefined);
  assert.deepEqual(warned.body.data, { k: 'v', k2: 'v2' });
  assert.deepEqual(warned.body.metadata.labels, { a: '1', b: '2' });

  const strict = await c.admin.req('PATCH', `${CM}/m?fieldValidation=Strict`, { body: JSON.stringify({ data: { k3: 'v3' }, metadata: { nope: true } }), contentType: MERGE });
  assert.equal(strict.status, 400, strict.text);
  assert.equal(strict.body.message, 'strict decoding error: unknown field "metadata.nope"');

  const ignored = await c.admin.req('PATCH', `${CM}/m?fieldValidation=Ignore`, { body: JSON.stringify({ data: { k3: 'v3' }, bogus: 1 }), contentType: MERGE });
  assert.equal(ignored.status, 200, ignored.text);
  assert.equal(ignored.headers.warning, undefined);
  assert.equal(ignored.body.bogus, undefined);
});

test('a status merge patch: an unknown field deep in what it names is found', async () => {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] } };
  assert.equal((await c.admin.req('POST', '/api/v1/namespaces/default/serviceaccounts', { body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } } })).status < 500, true);
  const created = await c.admin.req('POST', '/api/v1/namespaces/default/pods', { body: pod });
  assert.equal(created.status, 201, created.text);
  const body = JSON.stringify({ status: { phase: 'Pending', conditions: [{ type: 'Ready', status: 'False', extra: 'x' }] } });
  const r = await c.admin.req('PATCH', '/api/v1/namespaces/default/pods/p/status?fieldValidation=Strict', { body, contentType: MERGE });
  assert.equal(r.status, 400, r.text);
  assert.equal(r.body.message, 'strict decoding error: unknown field "status.conditions[0].extra"');
});
