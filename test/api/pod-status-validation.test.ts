/**
 * pods/status writes are judged by upstream 1.33's ValidatePodStatusUpdate status rules: a node
 * reporting a finished container of a restartPolicy Never pod as running again gets a 422 with
 * upstream's message, and the stored pod is left as it was.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterPerFile } from '../helpers/cluster.ts';

const c = clusterPerFile();

const NS = '/api/v1/namespaces/default';

test("a node's status write taking a terminated container of a restartPolicy Never pod back to running is refused", async () => {
  const created = await c.admin.post(`${NS}/pods`, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'once' },
    spec: { nodeName: 'n1', restartPolicy: 'Never', containers: [{ name: 'app', image: 'busybox' }] },
  });
  assert.equal(created.status, 201, created.text);
  const node = c.as('system:node:n1', ['system:nodes']);
  const cs = (state: Record<string, unknown>) => [{ name: 'app', image: 'busybox', imageID: '', ready: false, restartCount: 0, state }];
  const done = await node.patch(`${NS}/pods/once/status`, {
    status: { phase: 'Succeeded', hostIP: '10.1.0.1', hostIPs: [{ ip: '10.1.0.1' }], containerStatuses: cs({ terminated: { exitCode: 0, reason: 'Completed' } }) },
  }, 'application/merge-patch+json');
  assert.equal(done.status, 200, done.text);
  assert.equal(done.body.status.qosClass, 'BestEffort');

  const again = await node.patch(`${NS}/pods/once/status`, {
    status: { phase: 'Running', containerStatuses: cs({ running: { startedAt: '2026-01-01T00:00:00Z' } }) },
  }, 'application/merge-patch+json');
  assert.equal(again.status, 422, again.text);
  assert.equal(again.body.reason, 'Invalid');
  assert.equal(again.body.message, 'Pod "once" is invalid: status.containerStatuses[0].state: Forbidden: may not be transitioned to non-terminated state');
  assert.deepEqual(again.body.details.causes, [{ reason: 'FieldValueForbidden', message: 'Forbidden: may not be transitioned to non-terminated state', field: 'status.containerStatuses[0].state' }]);

  const got = await c.admin.get(`${NS}/pods/once`);
  assert.equal(got.body.metadata.resourceVersion, done.body.metadata.resourceVersion);
  assert.deepEqual(got.body.status, done.body.status);
});

test('a status write without qosClass keeps the stored one; one changing it is refused', async () => {
  const created = await c.admin.post(`${NS}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'qos' }, spec: { containers: [{ name: 'app', image: 'busybox' }] } });
  assert.equal(created.status, 201, created.text);
  const put = await c.admin.req('PUT', `${NS}/pods/qos/status`, { body: { ...created.body, status: { phase: 'Pending' } } });
  assert.equal(put.status, 200, put.text);
  assert.equal(put.body.status.qosClass, 'BestEffort');
  const change = await c.admin.patch(`${NS}/pods/qos/status`, { status: { qosClass: 'Guaranteed' } }, 'application/merge-patch+json');
  assert.equal(change.status, 422, change.text);
  assert.equal(change.body.message, 'Pod "qos" is invalid: status.qosClass: Invalid value: "Guaranteed": field is immutable');
});
