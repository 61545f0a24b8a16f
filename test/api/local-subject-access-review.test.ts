import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';

let c: TestCluster;
before(async () => {
  c = await startTestCluster();
});
after(async () => {
  await c.close();
});

const url = '/apis/authorization.k8s.io/v1/namespaces/default/localsubjectaccessreviews';
const review = (spec: Record<string, unknown>) => ({ apiVersion: 'authorization.k8s.io/v1', kind: 'LocalSubjectAccessReview', spec: { user: 'x', ...spec } });

test('LocalSubjectAccessReview: the review namespace must equal the request namespace, empty included (upstream ValidateLocalSubjectAccessReview)', async () => {
  const empty = await c.admin.post(url, review({ resourceAttributes: { verb: 'get', resource: 'pods' } }));
  assert.equal(empty.status, 422, empty.text);
  assert.deepEqual(empty.body.details.causes, [{ reason: 'FieldValueInvalid', field: 'spec.resourceAttributes.namespace', message: 'Invalid value: "": must match metadata.namespace' }]);
  const other = await c.admin.post(url, review({ resourceAttributes: { verb: 'get', resource: 'pods', namespace: 'other' } }));
  assert.equal(other.status, 422, other.text);
  assert.equal(other.body.details.causes[0].message, 'Invalid value: "other": must match metadata.namespace');
  const same = await c.admin.post(url, review({ resourceAttributes: { verb: 'get', resource: 'pods', namespace: 'default' } }));
  assert.equal(same.status, 201, same.text);
  assert.equal(same.body.metadata.namespace, 'default');
});

test('LocalSubjectAccessReview: nonResourceAttributes are disallowed with upstream wording', async () => {
  const r = await c.admin.post(url, review({ nonResourceAttributes: { verb: 'get', path: '/healthz' } }));
  assert.equal(r.status, 422, r.text);
  assert.deepEqual(r.body.details.causes, [
    { reason: 'FieldValueInvalid', field: 'spec.nonResourceAttributes', message: 'Invalid value: authorization.NonResourceAttributes{Path:"/healthz", Verb:"get"}: disallowed on this kind of request' },
  ]);
  assert.match(r.body.message, /LocalSubjectAccessReview.authorization.k8s.io "" is invalid: spec.nonResourceAttributes: Invalid value/);
});
