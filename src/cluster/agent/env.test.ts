import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { CreateContainerConfigError, fieldValue, resourceValue } from './env.ts';

const pod: Pod = {
  metadata: { name: 'p', namespace: 'ns', uid: 'u', labels: { app: 'web' }, annotations: { 'a/b': 'c' } },
  spec: { nodeName: 'n1', serviceAccountName: 'sa', containers: [{ name: 'c', resources: { limits: { cpu: '250m', memory: '100Mi' }, requests: { cpu: '100m' } } }, { name: 'other' }] },
};
const c = pod.spec!.containers[0]!;
const alloc = { cpu: '4', memory: '8Gi' };

test('fieldRef paths', () => {
  assert.equal(fieldValue(pod, { fieldPath: "metadata.labels['app']" }, '1.2.3.4'), 'web');
  assert.equal(fieldValue(pod, { fieldPath: "metadata.annotations['a/b']" }, '1.2.3.4'), 'c');
  assert.equal(fieldValue(pod, { fieldPath: 'spec.serviceAccountName' }, ''), 'sa');
  assert.equal(fieldValue(pod, { fieldPath: 'spec.host' }, ''), 'n1', 'the old name of spec.nodeName, as the kubelet converts it');
  assert.equal(fieldValue(pod, { fieldPath: 'status.hostIP' }, '1.2.3.4'), '1.2.3.4');
  assert.throws(() => fieldValue(pod, { fieldPath: 'spec.bogus' }, ''), CreateContainerConfigError);
});

test('resourceFieldRef: limits or requests over the divisor, rounded up; limits default to the node allocatable', () => {
  assert.equal(resourceValue(pod, c, { resource: 'limits.cpu' }, alloc), '1', '250m rounds up to 1 core');
  assert.equal(resourceValue(pod, c, { resource: 'limits.cpu', divisor: '1m' }, alloc), '250');
  assert.equal(resourceValue(pod, c, { resource: 'requests.cpu', divisor: '1m' }, alloc), '100');
  assert.equal(resourceValue(pod, c, { resource: 'limits.memory', divisor: '1Mi' }, alloc), '100');
  assert.equal(resourceValue(pod, c, { resource: 'limits.memory' }, alloc), String(100 * 1024 * 1024));
  assert.equal(resourceValue(pod, c, { resource: 'limits.cpu', containerName: 'other' }, alloc), '4', 'no limit: allocatable');
});
