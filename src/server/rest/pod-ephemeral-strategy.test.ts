import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dropNonEphemeralContainerUpdates } from './pod-ephemeral-strategy.ts';

test('a pods/ephemeralcontainers write keeps the stored pod but for spec.ephemeralContainers (ResetObjectMetaForStatus)', () => {
  const old = {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'p', namespace: 'd', labels: { a: '1' }, annotations: { x: 'y' }, finalizers: ['f'], ownerReferences: [{ uid: 'u' }] },
    spec: { containers: [{ name: 'app', image: 'busybox' }], activeDeadlineSeconds: 10 },
    status: { phase: 'Running' },
  };
  const sent = {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'p', namespace: 'd', labels: { b: '2' }, resourceVersion: '7', managedFields: [{ manager: 'kubectl' }] },
    spec: { containers: [{ name: 'app', image: 'nginx' }], ephemeralContainers: [{ name: 'dbg', image: 'busybox' }] },
    status: { phase: 'Failed' },
  };
  const out = dropNonEphemeralContainerUpdates(sent as any, old as any);
  assert.deepEqual(out.spec, { containers: [{ name: 'app', image: 'busybox' }], activeDeadlineSeconds: 10, ephemeralContainers: [{ name: 'dbg', image: 'busybox' }] });
  assert.deepEqual(out.metadata, { name: 'p', namespace: 'd', labels: { a: '1' }, annotations: { x: 'y' }, finalizers: ['f'], ownerReferences: [{ uid: 'u' }], resourceVersion: '7', managedFields: [{ manager: 'kubectl' }] });
  // Status is prepareForUpdate's (the stored one there); this keeps what it is given.
  assert.deepEqual(out.status, { phase: 'Failed' });
  // Sending none drops them, for validation to refuse as a removal.
  assert.equal(dropNonEphemeralContainerUpdates({ ...sent, spec: {} } as any, { ...old, spec: { ...old.spec, ephemeralContainers: [{ name: 'x' }] } } as any).spec.ephemeralContainers, undefined);
  assert.deepEqual(old.spec.containers[0], { name: 'app', image: 'busybox' });
});
