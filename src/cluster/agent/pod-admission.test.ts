import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { admitPod, podRequest } from './pod-admission.ts';

const pod = (cpu?: string, memory?: string, init?: Array<{ cpu: string; sidecar?: boolean }>): Pod => ({
  metadata: { name: 'p', uid: 'u' },
  spec: {
    containers: [{ name: 'c', resources: { requests: { ...(cpu ? { cpu } : {}), ...(memory ? { memory } : {}) } } }],
    initContainers: (init ?? []).map((i, n) => ({ name: `i${n}`, resources: { requests: { cpu: i.cpu } }, ...(i.sidecar ? { restartPolicy: 'Always' } : {}) })),
  },
});

test('effective requests: containers + sidecars, or the largest init container (with the sidecars before it)', () => {
  assert.equal(podRequest(pod('250m'), 'cpu'), 250n);
  assert.equal(podRequest(pod('250m', undefined, [{ cpu: '1' }]), 'cpu'), 1000n);
  assert.equal(podRequest(pod('250m', undefined, [{ cpu: '100m', sidecar: true }, { cpu: '200m' }]), 'cpu'), 350n);
  assert.equal(podRequest(pod(undefined, '1Gi'), 'memory'), 1073741824n);
});

test('a pod that does not fit is rejected with the kubelet\'s reason and message', () => {
  const alloc = { cpu: '1', memory: '1Gi', pods: '2' };
  assert.equal(admitPod(pod('500m'), [pod('500m')], alloc), undefined);
  assert.deepEqual(admitPod(pod('600m'), [pod('500m')], alloc), { reason: 'OutOfcpu', message: "Pod was rejected: Node didn't have enough resource: cpu, requested: 600, used: 500, capacity: 1000" });
  assert.deepEqual(admitPod(pod(), [pod(), pod()], alloc), { reason: 'OutOfpods', message: "Pod was rejected: Node didn't have enough resource: pods, requested: 1, used: 2, capacity: 2" });
  assert.equal(admitPod(pod(undefined, '2Gi'), [], alloc)?.reason, 'OutOfmemory');
});
