import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PersistentVolumeClaimResize } from './persistent-volume-claim-resize.ts';
import { attrs, testDeps } from '../quota/testing.ts';

const claim = (storage: string, extra: { cls?: string; beta?: string; phase?: string } = {}) => ({
  metadata: { name: 'c', namespace: 'ns', ...(extra.beta ? { annotations: { 'volume.beta.kubernetes.io/storage-class': extra.beta } } : {}) },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } }, ...(extra.cls !== undefined ? { storageClassName: extra.cls } : {}), volumeName: 'pv-1' },
  status: { phase: extra.phase ?? 'Bound' },
});
const sc = (name: string, allow?: boolean) => ({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name }, provisioner: 'x', ...(allow !== undefined ? { allowVolumeExpansion: allow } : {}) });
const REFUSED = 'only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize';

test('PersistentVolumeClaimResize: growing a bound claim needs its class to allow expansion; shrinking or keeping is not its business', async () => {
  const deps = testDeps();
  await deps.store.create('/registry/storage.k8s.io/storageclasses/grow', sc('grow', true));
  await deps.store.create('/registry/storage.k8s.io/storageclasses/fixed', sc('fixed', false));
  await deps.store.create('/registry/storage.k8s.io/storageclasses/unset', sc('unset'));
  const p = new PersistentVolumeClaimResize(deps);
  const update = (oldC: Record<string, any>, newC: Record<string, any>) => p.validate(attrs('persistentvolumeclaims', newC, { op: 'UPDATE', oldObject: oldC }));
  assert.deepEqual(await update(claim('1Gi', { cls: 'grow' }), claim('2Gi', { cls: 'grow' })), { allowed: true });
  assert.deepEqual(await update(claim('1Gi', { beta: 'grow' }), claim('1536Mi', { beta: 'grow' })), { allowed: true }, 'the beta annotation names the class too');
  for (const cls of ['fixed', 'unset', 'gone', '']) assert.deepEqual(await update(claim('1Gi', { cls }), claim('2Gi', { cls })), { allowed: false, reason: REFUSED }, `class ${JSON.stringify(cls)}`);
  assert.deepEqual(await update(claim('1Gi', { cls: 'fixed' }), claim('2Gi', { cls: 'grow' })), { allowed: false, reason: REFUSED }, 'the class may not change on the way');
  assert.deepEqual(await update(claim('1Gi', { cls: 'grow', phase: 'Pending' }), claim('2Gi', { cls: 'grow' })), { allowed: false, reason: 'Only bound persistent volume claims can be expanded' });
  // Not an increase (1024Mi is 1Gi): allowed whatever the class.
  assert.deepEqual(await update(claim('1Gi', { cls: 'fixed' }), claim('1024Mi', { cls: 'fixed' })), { allowed: true });
  assert.deepEqual(await update(claim('2Gi', { cls: 'fixed' }), claim('1Gi', { cls: 'fixed' })), { allowed: true });
  assert.equal(p.handles(attrs('persistentvolumeclaims', claim('1Gi'))), false, 'updates only');
  assert.equal(p.handles(attrs('persistentvolumeclaims', claim('2Gi'), { op: 'UPDATE', oldObject: claim('1Gi'), subresource: 'status' })), false);
});
