import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DefaultStorageClass } from './default-storage-class.ts';
import { attrs, testDeps } from '../quota/testing.ts';

const claim = (spec: Record<string, unknown> = {}, annotations?: Record<string, string>) => ({ metadata: { name: 'c', namespace: 'ns', ...(annotations ? { annotations } : {}) }, spec: { accessModes: ['ReadWriteOnce'], ...spec } });
const sc = (name: string, created: string, isDefault: boolean) => ({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name, creationTimestamp: created, annotations: { 'storageclass.kubernetes.io/is-default-class': String(isDefault) } }, provisioner: 'x' });

test('DefaultStorageClass: a claim without a class gets the newest default; "" and a named class are left alone; no default, no change', async () => {
  const deps = testDeps();
  const plugin = new DefaultStorageClass(deps);
  const none = claim();
  assert.deepEqual(await plugin.admit(attrs('persistentvolumeclaims', none)), { allowed: true });
  assert.equal((none.spec as any).storageClassName, undefined);
  await deps.store.create('/registry/storage.k8s.io/storageclasses/old', sc('old', '2026-01-01T00:00:00Z', true));
  await deps.store.create('/registry/storage.k8s.io/storageclasses/new', sc('new', '2026-02-01T00:00:00Z', true));
  await deps.store.create('/registry/storage.k8s.io/storageclasses/plain', sc('plain', '2026-03-01T00:00:00Z', false));
  const c = claim();
  const v = await plugin.admit(attrs('persistentvolumeclaims', c));
  assert.equal((c.spec as any).storageClassName, 'new');
  assert.deepEqual(v.patches, [{ op: 'add', path: '/spec/storageClassName', value: 'new' }]);
  for (const chosen of [claim({ storageClassName: '' }), claim({ storageClassName: 'plain' }), claim({}, { 'volume.beta.kubernetes.io/storage-class': 'plain' })]) {
    const before = JSON.stringify(chosen);
    await plugin.admit(attrs('persistentvolumeclaims', chosen));
    assert.equal(JSON.stringify(chosen), before);
  }
  assert.equal(plugin.handles(attrs('persistentvolumeclaims', claim(), { op: 'UPDATE' })), false, 'creation only');
});
