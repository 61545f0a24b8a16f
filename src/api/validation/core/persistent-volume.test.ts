import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorString } from '../field-errors.ts';
import { validatePersistentVolume, validatePersistentVolumeClaimUpdate } from './persistent-volume.ts';
const claim = (sc?: string) => ({ metadata: { name: 'c', namespace: 'd', resourceVersion: '1' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...(sc !== undefined ? { storageClassName: sc } : {}) } });
test('a claim created without a class may be given one once (RetroactiveDefaultStorageClass); a class, even "", is immutable', () => {
  assert.deepEqual(validatePersistentVolumeClaimUpdate(claim('a') as any, claim() as any), []);
  assert.equal(validatePersistentVolumeClaimUpdate(claim('b') as any, claim('a') as any).length, 1);
  assert.equal(validatePersistentVolumeClaimUpdate(claim('b') as any, claim('') as any).length, 1);
});

const volume = (source: Record<string, unknown>, reclaim = 'Retain') => ({
  metadata: { name: 'pv' },
  spec: { accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' }, persistentVolumeReclaimPolicy: reclaim, ...source },
});
const errors = (source: Record<string, unknown>, reclaim?: string) =>
  validatePersistentVolume(volume(source, reclaim) as any).map(errorString);
test("hostPath and local paths with a '..' element are refused as upstream's validatePathNoBacksteps; hostPath type as validateHostPathType", () => {
  assert.deepEqual(errors({ hostPath: { path: '/var/log/../../etc' } }), ['spec.hostPath.path: Invalid value: "/var/log/../../etc": must not contain \'..\'']);
  assert.deepEqual(errors({ local: { path: '/mnt/disks/../../etc' } }), ['spec.local.path: Invalid value: "/mnt/disks/../../etc": must not contain \'..\'']);
  assert.deepEqual(errors({ hostPath: { path: '/data/..x' } }), []);
  assert.deepEqual(errors({ local: { path: '/mnt/disks/a' } }), []);
  assert.equal(errors({ hostPath: { path: '/data', type: 'Bogus' } })[0]?.split(':')[0], 'spec.hostPath.type');
  assert.deepEqual(errors({ hostPath: {} }), ['spec.hostPath.path: Required value']);
});
test("a hostPath PersistentVolume of '/' may not be recycled (upstream, after path.Clean)", () => {
  const refused = ["spec.persistentVolumeReclaimPolicy: Forbidden: may not be 'recycle' for a hostPath mount of '/'"];
  assert.deepEqual(errors({ hostPath: { path: '//' } }, 'Recycle'), refused);
  assert.deepEqual(errors({ hostPath: { path: '/a/..' } }, 'Recycle'), ['spec.hostPath.path: Invalid value: "/a/..": must not contain \'..\'', ...refused]);
  assert.deepEqual(errors({ hostPath: { path: '/' } }, 'Retain'), []);
  assert.deepEqual(errors({ hostPath: { path: '/data' } }, 'Recycle'), []);
});
