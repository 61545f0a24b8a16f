import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pleg } from './pleg.ts';
import type { ContainerStatus, SandboxStatus } from './runtime/types.ts';

const pod = (uid: string) => ({ uid, namespace: 'ns', name: `p-${uid}` });
const sandbox = (uid: string, state: SandboxStatus['state'] = 'ready'): SandboxStatus => ({ id: `sb-${uid}`, pod: pod(uid), state, createdAt: '', namespaces: {} });
const container = (uid: string, state: ContainerStatus['state']): ContainerStatus => ({
  id: `c-${uid}`, sandboxId: `sb-${uid}`, pod: pod(uid), name: 'c', attempt: 0, imageRef: '', imageDigest: '', state, createdAt: '', logPath: '',
});

function relist(pleg: Pleg, sandboxes: SandboxStatus[], containers: ContainerStatus[], deferred: string[] = []): string[] {
  const woken: string[] = [];
  pleg.relist({ sandboxes, containers }, (uid) => deferred.includes(uid), (uid) => woken.push(uid));
  return woken;
}

test('wakes a pod when first seen and when its sandboxes or containers change, not on the same state', () => {
  const pleg = new Pleg();
  assert.deepEqual(relist(pleg, [sandbox('a'), sandbox('b')], [container('a', 'created')]), ['a', 'b']);
  assert.deepEqual(relist(pleg, [sandbox('a'), sandbox('b')], [container('a', 'created')]), []);
  assert.deepEqual(relist(pleg, [sandbox('a'), sandbox('b')], [container('a', 'running')]), ['a']);
  assert.deepEqual(relist(pleg, [sandbox('a'), sandbox('b', 'notready')], [container('a', 'running')]), ['b']);
});

test('a deferred pod is looked at again on the next relist', () => {
  const pleg = new Pleg();
  assert.deepEqual(relist(pleg, [sandbox('a')], [], ['a']), []);
  assert.deepEqual(relist(pleg, [sandbox('a')], []), ['a']);
});

test('a pod gone from the runtime is forgotten: the same state again wakes it', () => {
  const pleg = new Pleg();
  assert.deepEqual(relist(pleg, [sandbox('a')], []), ['a']);
  assert.deepEqual(relist(pleg, [], []), []);
  assert.deepEqual(relist(pleg, [sandbox('a')], []), ['a']);
});
