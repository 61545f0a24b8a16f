import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocatableAmounts, capacityAmounts, format, milliCpuToShares, parseEnforcement, parseReserved, podsCgroupAmounts, sharesToWeight } from './node-allocatable.ts';

const GI = 1024n ** 3n;
const MI = 1024n ** 2n;

test('--system-reserved / --kube-reserved parse cpu (millicores), memory, ephemeral-storage and pid; upstream\'s messages otherwise', () => {
  assert.deepEqual(parseReserved('system-reserved', 'cpu=500m, memory=1Gi,ephemeral-storage=2G,pid=1000'), { cpu: 500n, memory: GI, 'ephemeral-storage': 2_000_000_000n, pid: 1000n });
  assert.deepEqual(parseReserved('kube-reserved', ''), {});
  assert.throws(() => parseReserved('kube-reserved', 'gpu=1'), { message: 'invalid --kube-reserved: cannot reserve "gpu" resource' });
  assert.throws(() => parseReserved('system-reserved', 'memory=-1Gi'), { message: 'invalid --system-reserved: resource quantity for "memory" cannot be negative: -1Gi' });
  assert.throws(() => parseReserved('system-reserved', 'memory=lots'), /failed to parse quantity "lots" for "memory" resource/);
  // ParseQuantity's own error, as parseResourceList wraps it.
  assert.throws(() => parseReserved('system-reserved', 'memory=1i'), { message: 'invalid --system-reserved: failed to parse quantity "1i" for "memory" resource: unable to parse quantity\'s suffix' });
  assert.throws(() => parseReserved('system-reserved', 'memory'), /malformed pair/);
});

test('--enforce-node-allocatable: pods (default) or none; reserved cgroups refused as upstream without their cgroup flags', () => {
  assert.equal(parseEnforcement(['pods']), 'pods');
  assert.equal(parseEnforcement([]), 'none');
  assert.equal(parseEnforcement(['none']), 'none');
  assert.throws(() => parseEnforcement(['none', 'pods']), { message: 'invalid configuration: enforceNodeAllocatable (--enforce-node-allocatable) may not contain additional enforcements when "none" is specified' });
  assert.throws(() => parseEnforcement(['pods', 'system-reserved']), /^Error: invalid configuration: systemReservedCgroup \(--system-reserved-cgroup\) must be specified when "system-reserved" contained in enforceNodeAllocatable/);
  assert.throws(() => parseEnforcement(['kube-reserved']), /kubeReservedCgroup \(--kube-reserved-cgroup\) must be specified/);
  assert.throws(() => parseEnforcement(['all']), { message: 'invalid configuration: option "all" specified for enforceNodeAllocatable (--enforce-node-allocatable). Valid options are "pods", "system-reserved", "kube-reserved", or "none"' });
});

test('the pods\' cgroup gets capacity less both reservations (not the eviction threshold); "none" leaves capacity', () => {
  const capacity = { cpu: 4000n, memory: 8n * GI, 'ephemeral-storage': 100n * GI, pid: 4_194_304n };
  const i = { capacity, systemReserved: { cpu: 500n, memory: GI, pid: 1000n }, kubeReserved: { memory: 512n * MI }, evictionHard: { 'memory.available': '100Mi' } };
  assert.deepEqual(podsCgroupAmounts(i), { cpu: 3500n, memory: 8n * GI - GI - 512n * MI, 'ephemeral-storage': 100n * GI, pid: 4_193_304n });
  assert.deepEqual(podsCgroupAmounts(i, 'none'), capacity);
  assert.deepEqual(podsCgroupAmounts({ capacity: { memory: GI }, systemReserved: { memory: 2n * GI } }), { memory: 0n });
});

test('status allocatable is capacity less the reservations and the hard eviction thresholds (a percentage of capacity)', () => {
  const capacity = capacityAmounts({ cpu: '4', memory: '8Gi', 'ephemeral-storage': '100Gi' }, 4_194_304n);
  const a = allocatableAmounts({ capacity, systemReserved: { cpu: 500n, memory: GI }, kubeReserved: { memory: 512n * MI, 'ephemeral-storage': GI }, evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '10%' } });
  assert.deepEqual(a, { cpu: 3500n, memory: 8n * GI - GI - 612n * MI, 'ephemeral-storage': 100n * GI - GI - 10n * GI });
  assert.equal(format('cpu', a.cpu!), '3500m');
  assert.equal(format('cpu', 2000n), '2');
  // Quantity.String() of the bytes (BinarySI): 6556Mi, not 6713344Ki.
  assert.equal(format('memory', a.memory!), '6556Mi');
  assert.equal(format('memory', 81920n * 1024n), '80Mi');
  assert.equal(format('ephemeral-storage', 10n * GI), '10Gi');
  assert.equal(format('cpu', 1_000_000n), '1k');
  // The defaults alone: what a node with no reservations reported before.
  assert.deepEqual(allocatableAmounts({ capacity: { memory: GI }, evictionHard: { 'memory.available': '100Mi' } }), { memory: GI - 100n * MI });
  assert.throws(() => allocatableAmounts({ capacity: { cpu: 2000n, memory: GI }, systemReserved: { cpu: 3000n } }), { message: 'invalid Node Allocatable configuration. Resource "cpu" has an allocatable of 3, capacity of -1' });
});

test('cpu shares and weight as the kubelet and runc convert them', () => {
  assert.equal(milliCpuToShares(3500n), 3584n);
  assert.equal(milliCpuToShares(1n), 2n);
  assert.equal(milliCpuToShares(0n), 2n);
  assert.equal(milliCpuToShares(1_000_000n), 262144n);
  assert.equal(sharesToWeight(2n), 1n);
  assert.equal(sharesToWeight(262144n), 10000n);
  assert.equal(sharesToWeight(1024n), 39n);
});
