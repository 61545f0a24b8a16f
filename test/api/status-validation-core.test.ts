/**
 * nodes/status and other core status writes over HTTP are validated by upstream's status rules
 * (for a Node, ValidateNodeUpdate), not the create rules: a Node stored with a pod CIDR that today's
 * create rules refuse (written straight into the store, as an older server would have) still takes
 * its agent's heartbeats, while a bad status quantity is a 422 with upstream's message.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { CORE_CONTROLLERS } from '../../src/cluster/controllers/registry.ts';

let c: TestCluster;
before(async () => {
  // No controllers: this test plays the agent and the quota controller.
  c = await startTestCluster({ controllers: CORE_CONTROLLERS.map((n) => `-${n}`) });
});
after(async () => {
  await c?.close();
});

test('a Node stored with a now-invalid spec takes nodes/status writes; bad capacity is refused', async () => {
  await c.cp.store.create('/registry/core/nodes/old-node', {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'old-node', uid: 'uid-old-node', creationTimestamp: '2024-01-01T00:00:00Z' },
    spec: { podCIDR: '10.244.0.0/33', podCIDRs: ['10.244.0.0/33'] },
  });
  const got = await c.admin.get('/api/v1/nodes/old-node');
  assert.equal(got.status, 200, got.text);

  const main = await c.admin.req('PUT', '/api/v1/nodes/old-node', { body: { ...got.body, metadata: { ...got.body.metadata, labels: { touched: 'yes' } } } });
  assert.equal(main.status, 422, main.text);

  const status = {
    capacity: { cpu: '2', memory: '4Gi', pods: '110' },
    allocatable: { cpu: '2', memory: '4Gi', pods: '110' },
    addresses: [{ type: 'InternalIP', address: '10.0.0.9' }],
    conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ok', lastHeartbeatTime: '2026-01-01T00:00:00Z', lastTransitionTime: '2026-01-01T00:00:00Z' }],
  };
  const put = await c.admin.req('PUT', '/api/v1/nodes/old-node/status', { body: { ...got.body, status } });
  assert.equal(put.status, 200, put.text);
  assert.deepEqual(put.body.spec.podCIDRs, ['10.244.0.0/33'], 'the stored spec is kept');
  const patch = await c.admin.req('PATCH', '/api/v1/nodes/old-node/status', {
    body: { status: { conditions: [{ ...status.conditions[0], lastHeartbeatTime: '2026-01-01T00:00:10Z' }] } },
    contentType: 'application/strategic-merge-patch+json',
  });
  assert.equal(patch.status, 200, patch.text);

  const bad = await c.admin.req('PATCH', '/api/v1/nodes/old-node/status', {
    body: { status: { capacity: { cpu: '-1' } } },
    contentType: 'application/merge-patch+json',
  });
  assert.equal(bad.status, 422, bad.text);
  assert.equal(bad.body.message, 'Node "old-node" is invalid: status.capacity.cpu: Invalid value: "-1": must be greater than or equal to 0');
});

test('a ResourceQuota stored with a now-invalid spec takes status writes; a fractional pod count is refused', async () => {
  await c.cp.store.create('/registry/core/resourcequotas/default/old-quota', {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: 'old-quota', namespace: 'default', uid: 'uid-old-quota', creationTimestamp: '2024-01-01T00:00:00Z' },
    spec: { hard: { pods: '10', bogus: '1' } },
  });
  const got = await c.admin.get('/api/v1/namespaces/default/resourcequotas/old-quota');
  assert.equal(got.status, 200, got.text);
  const put = await c.admin.req('PUT', '/api/v1/namespaces/default/resourcequotas/old-quota/status', {
    body: { ...got.body, status: { hard: { pods: '10' }, used: { pods: '3' } } },
  });
  assert.equal(put.status, 200, put.text);
  const bad = await c.admin.req('PUT', '/api/v1/namespaces/default/resourcequotas/old-quota/status', {
    body: { ...put.body, status: { hard: { pods: '10' }, used: { pods: '1.5' } } },
  });
  assert.equal(bad.status, 422, bad.text);
  // Decoded into a Quantity first: the message quotes its canonical text, as upstream's does.
  assert.equal(bad.body.message, 'ResourceQuota "old-quota" is invalid: status.used[pods]: Invalid value: "1500m": must be an integer');
});

test('a Node create: two pod CIDRs of one family are 422 (dual-stack only), taints are judged at metadata.taints; a dual-stack Node is created', async () => {
  const nodeWith = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name }, spec });
  const two = await c.admin.post('/api/v1/nodes', nodeWith('two-v4', { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24', '10.244.2.0/24'], taints: [{ key: 'k', effect: 'NoSchedule' }, { key: 'k', effect: 'NoSchedule' }] }));
  assert.equal(two.status, 422, two.text);
  assert.deepEqual(two.body.details.causes, [
    { reason: 'FieldValueDuplicate', message: 'Duplicate value: core.Taint{Key:"k", Value:"", Effect:"NoSchedule", TimeAdded:(*v1.Time)(nil)}: taints must be unique by key and effect pair', field: 'metadata.taints[1]' },
    { reason: 'FieldValueInvalid', message: 'Invalid value: []string{"10.244.1.0/24", "10.244.2.0/24"}: may specify no more than one CIDR for each IP family', field: 'spec.podCIDRs' },
  ]);
  const dual = await c.admin.post('/api/v1/nodes', nodeWith('dual', { podCIDR: '10.244.3.0/24', podCIDRs: ['10.244.3.0/24', 'fd00:10:244:3::/64'] }));
  assert.equal(dual.status, 201, dual.text);
  assert.deepEqual(dual.body.spec.podCIDRs, ['10.244.3.0/24', 'fd00:10:244:3::/64']);
});

test('PVC status writes: allocatedResources and allocatedResourceStatuses get upstream\'s rules (a resize status outside the set is 422)', async () => {
  const PVCS = '/api/v1/namespaces/default/persistentvolumeclaims';
  const created = await c.admin.post(PVCS, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'resize' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
  assert.equal(created.status, 201, created.text);
  const ok = await c.admin.patch(`${PVCS}/resize/status`, { status: { allocatedResources: { storage: '2Gi' }, allocatedResourceStatuses: { storage: 'ControllerResizeInProgress' } } }, 'application/merge-patch+json');
  assert.equal(ok.status, 200, ok.text);
  const bad = await c.admin.patch(`${PVCS}/resize/status`, { status: { allocatedResources: { memory: '1Gi' }, allocatedResourceStatuses: { storage: 'Resizing' } } }, 'application/merge-patch+json');
  assert.equal(bad.status, 422, bad.text);
  assert.deepEqual(bad.body.details.causes, [
    { reason: 'FieldValueNotSupported', message: 'Unsupported value: "storage": supported values: "ControllerResizeInProgress", "ControllerResizeInfeasible", "NodeResizeInProgress", "NodeResizeInfeasible", "NodeResizePending"', field: 'status.allocatedResourceStatus' },
    { reason: 'FieldValueNotSupported', message: 'Unsupported value: "memory": supported values: "storage"', field: 'status.allocatedResources' },
  ]);
});
