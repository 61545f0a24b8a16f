import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StorageObjectInUseProtection } from './storage-object-in-use-protection.ts';
import { attrs } from '../quota/testing.ts';

test('StorageObjectInUseProtection: a created claim gets kubernetes.io/pvc-protection, a volume kubernetes.io/pv-protection, once', async () => {
  const p = new StorageObjectInUseProtection();
  const claim: Record<string, any> = { metadata: { name: 'c', namespace: 'ns' }, spec: {} };
  const v = await p.admit(attrs('persistentvolumeclaims', claim));
  assert.deepEqual(claim.metadata.finalizers, ['kubernetes.io/pvc-protection']);
  assert.deepEqual(v.patches, [{ op: 'add', path: '/metadata/finalizers', value: ['kubernetes.io/pvc-protection'] }]);
  assert.deepEqual(await p.admit(attrs('persistentvolumeclaims', claim)), { allowed: true }, 'already there: nothing to do');
  assert.deepEqual(claim.metadata.finalizers, ['kubernetes.io/pvc-protection']);
  const pv: Record<string, any> = { metadata: { name: 'v', finalizers: ['example.com/keep'] }, spec: {} };
  await p.admit(attrs('persistentvolumes', pv, { namespace: '' }));
  assert.deepEqual(pv.metadata.finalizers, ['example.com/keep', 'kubernetes.io/pv-protection']);
});

test('StorageObjectInUseProtection: creation of claims and volumes only', () => {
  const p = new StorageObjectInUseProtection();
  const o = { metadata: { name: 'x' } };
  assert.equal(p.handles(attrs('persistentvolumeclaims', o)), true);
  assert.equal(p.handles(attrs('persistentvolumes', o)), true);
  assert.equal(p.handles(attrs('persistentvolumeclaims', o, { op: 'UPDATE', oldObject: o })), false, 'an update may drop it (the controller puts it back)');
  assert.equal(p.handles(attrs('persistentvolumeclaims', o, { subresource: 'status' })), false);
  assert.equal(p.handles(attrs('configmaps', o)), false);
});
