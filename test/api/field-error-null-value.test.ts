/**
 * A nil bad value prints as upstream's field.Error.ErrorBody does (apimachinery util/validation/
 * field/errors.go): a nil interface or nil pointer becomes the string "null", printed with %q like
 * any string, so the message reads `Invalid value: "null": ...`, not `Invalid value: null`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterPerFile } from '../helpers/cluster.ts';

const c = clusterPerFile();
const NS = '/api/v1/namespaces/default';

test('removing a pod\'s activeDeadlineSeconds: Invalid value: "null" (a nil *int64)', async () => {
  const created = await c.admin.post(`${NS}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'deadline' }, spec: { activeDeadlineSeconds: 30, containers: [{ name: 'c', image: 'busybox' }] } });
  assert.equal(created.status, 201, created.text);
  const r = await c.admin.patch(`${NS}/pods/deadline`, { spec: { activeDeadlineSeconds: null } }, 'application/merge-patch+json');
  assert.equal(r.status, 422, r.text);
  assert.equal(r.body.message, 'Pod "deadline" is invalid: spec.activeDeadlineSeconds: Invalid value: "null": must not update from a positive integer to nil value');
  assert.deepEqual(r.body.details.causes, [{ reason: 'FieldValueInvalid', message: 'Invalid value: "null": must not update from a positive integer to nil value', field: 'spec.activeDeadlineSeconds' }]);
});
