import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validatePersistentVolumeClaimUpdate } from './persistent-volume.ts';
const claim = (sc?: string) => ({ metadata: { name: 'c', namespace: 'd', resourceVersion: '1' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...(sc !== undefined ? { storageClassName: sc } : {}) } });
test('a claim created without a class may be given one once (RetroactiveDefaultStorageClass); a class, even "", is immutable', () => {
  assert.deepEqual(validatePersistentVolumeClaimUpdate(claim('a') as any, claim() as any), []);
  assert.equal(validatePersistentVolumeClaimUpdate(claim('b') as any, claim('a') as any).length, 1);
  assert.equal(validatePersistentVolumeClaimUpdate(claim('b') as any, claim('') as any).length, 1);
});
