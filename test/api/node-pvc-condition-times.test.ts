/**
 * NodeCondition's lastHeartbeatTime/lastTransitionTime and PersistentVolumeClaimCondition's
 * lastProbeTime/lastTransitionTime are metav1.Time values upstream (k8s.io/api core/v1 types.go),
 * not pointers: encoding/json writes an unset one as null (omitempty does not apply to structs), so
 * a condition written without them reads back with them, null, in the Go struct's field order, as
 * pod conditions do (test/api/pod-condition-times.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterPerFile } from '../helpers/cluster.ts';

const c = clusterPerFile();
const T = '2026-01-02T03:04:05Z';

test('node conditions written without lastHeartbeatTime/lastTransitionTime read back with them null, in Go field order', async () => {
  const created = await c.admin.post('/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'cond-node' } });
  assert.equal(created.status, 201, created.text);
  const patched = await c.admin.patch('/api/v1/nodes/cond-node/status', {
    status: {
      conditions: [
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastTransitionTime: T },
        { type: 'example.com/Custom', status: 'False' },
        { type: 'MemoryPressure', status: 'False', lastHeartbeatTime: T, lastTransitionTime: T, reason: 'KubeletHasSufficientMemory' },
      ],
    },
  }, 'application/merge-patch+json');
  assert.equal(patched.status, 200, patched.text);
  const got = await c.admin.get('/api/v1/nodes/cond-node');
  const conds = got.body.status.conditions as Array<Record<string, unknown>>;
  assert.deepEqual(conds.map((x) => Object.keys(x)), [
    ['type', 'status', 'lastHeartbeatTime', 'lastTransitionTime', 'reason', 'message'],
    ['type', 'status', 'lastHeartbeatTime', 'lastTransitionTime'],
    ['type', 'status', 'lastHeartbeatTime', 'lastTransitionTime', 'reason'],
  ]);
  assert.deepEqual(conds.map((x) => [x.lastHeartbeatTime, x.lastTransitionTime]), [[null, T], [null, null], [T, T]]);
  assert.match(got.text, /"lastHeartbeatTime":null/);
  assert.equal((await c.admin.delete('/api/v1/nodes/cond-node')).status, 200);
});

test('PVC conditions written without lastProbeTime/lastTransitionTime read back with them null, in Go field order', async () => {
  const NS = '/api/v1/namespaces/default';
  const created = await c.admin.post(`${NS}/persistentvolumeclaims`, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'cond-pvc' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
  assert.equal(created.status, 201, created.text);
  const patched = await c.admin.patch(`${NS}/persistentvolumeclaims/cond-pvc/status`, {
    status: { conditions: [{ type: 'Resizing', status: 'True', message: 'resizing', lastTransitionTime: T }, { type: 'FileSystemResizePending', status: 'True' }] },
  }, 'application/merge-patch+json');
  assert.equal(patched.status, 200, patched.text);
  const got = await c.admin.get(`${NS}/persistentvolumeclaims/cond-pvc`);
  const conds = got.body.status.conditions as Array<Record<string, unknown>>;
  assert.deepEqual(conds.map((x) => Object.keys(x)), [
    ['type', 'status', 'lastProbeTime', 'lastTransitionTime', 'message'],
    ['type', 'status', 'lastProbeTime', 'lastTransitionTime'],
  ]);
  assert.deepEqual(conds.map((x) => [x.lastProbeTime, x.lastTransitionTime]), [[null, T], [null, null]]);
  assert.match(got.text, /"lastProbeTime":null/);
});
