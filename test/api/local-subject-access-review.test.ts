import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterPerFile } from '../helpers/cluster.ts';

const c = clusterPerFile();

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

test("SubjectAccessReview spec errors as upstream's ValidateSubjectAccessReviewSpec, together", async () => {
  const sar = (spec: Record<string, unknown>) => c.admin.post('/apis/authorization.k8s.io/v1/subjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec });
  const neither = await sar({});
  assert.equal(neither.status, 422, neither.text);
  assert.deepEqual(neither.body.details.causes, [
    { reason: 'FieldValueInvalid', field: 'spec.resourceAttributes', message: 'Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified' },
    { reason: 'FieldValueInvalid', field: 'spec.user', message: 'Invalid value: "": at least one of user or group must be specified' },
  ]);
  const both = await sar({ user: 'x', resourceAttributes: { verb: 'get', resource: 'pods' }, nonResourceAttributes: { verb: 'get', path: '/x' } });
  assert.equal(both.status, 422, both.text);
  assert.deepEqual(both.body.details.causes, [
    { reason: 'FieldValueInvalid', field: 'spec.nonResourceAttributes', message: 'Invalid value: authorization.NonResourceAttributes{Path:"/x", Verb:"get"}: cannot be specified in combination with resourceAttributes' },
  ]);
  const self = await c.admin.post('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { nonResourceAttributes: { verb: 'get', path: '/healthz' } } });
  assert.equal(self.status, 201, 'no user needed on the self form');
});

test("access reviews' metadata must be empty (a local one's but for its namespace), errors together with the spec's and selectors' (upstream ValidateLocalSubjectAccessReview)", async () => {
  const named = await c.admin.post(url, { ...review({ resourceAttributes: { verb: 'list', resource: 'pods', namespace: 'default', labelSelector: {} } }), metadata: { name: 'x', creationTimestamp: null } });
  assert.equal(named.status, 422, named.text);
  const meta =
    'v1.ObjectMeta{Name:"x", GenerateName:"", Namespace:"default", SelfLink:"", UID:"", ResourceVersion:"", Generation:0, CreationTimestamp:time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC), DeletionTimestamp:<nil>, DeletionGracePeriodSeconds:(*int64)(nil), Labels:map[string]string(nil), Annotations:map[string]string(nil), OwnerReferences:[]v1.OwnerReference(nil), Finalizers:[]string(nil), ManagedFields:[]v1.ManagedFieldsEntry(nil)}';
  assert.deepEqual(named.body.details.causes, [
    { reason: 'FieldValueRequired', field: 'spec.resourceAttributes.labelSelector.requirements', message: 'Required value: when spec.resourceAttributes.labelSelector is specified, requirements or rawSelector is required' },
    { reason: 'FieldValueInvalid', field: 'metadata', message: `Invalid value: ${meta}: must be empty except for namespace` },
  ]);
  // The namespace alone (and empty maps) is fine; a labelled SubjectAccessReview is not.
  const nsOnly = await c.admin.post(url, { ...review({ resourceAttributes: { verb: 'get', resource: 'pods', namespace: 'default' } }), metadata: { namespace: 'default', labels: {} } });
  assert.equal(nsOnly.status, 201, nsOnly.text);
  const sar = await c.admin.post('/apis/authorization.k8s.io/v1/subjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', metadata: { labels: { a: 'b' } }, spec: { user: 'x', resourceAttributes: { verb: 'get', resource: 'pods' } } });
  assert.equal(sar.status, 422, sar.text);
  assert.equal(sar.body.details.causes.length, 1);
  assert.equal(sar.body.details.causes[0].field, 'metadata');
  assert.match(sar.body.details.causes[0].message, /^Invalid value: v1\.ObjectMeta\{Name:"", .*Labels:map\[string\]string\{"a":"b"\}, .*\}: must be empty$/);
});
