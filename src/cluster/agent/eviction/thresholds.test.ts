import { test } from 'node:test';
import assert from 'node:assert/strict';
import { byEvictionPriority, conditionOf, DEFAULT_EVICTION_HARD, evictionHardFlag, mapFlag, parseEvictionHard, parseThresholdConfig, resourceOf, thresholdsMet } from './thresholds.ts';

test('evictionHard: upstream Linux defaults (memory.available 100Mi with its allocatable copy), percentages, quantities, 0%/100% disable', () => {
  const d = parseEvictionHard(DEFAULT_EVICTION_HARD);
  assert.equal(d.error, undefined);
  assert.deepEqual(d.thresholds.map((t) => [t.signal, t.fraction ?? t.text, t.gracePeriodMs]), [
    ['memory.available', '100Mi', 0],
    ['nodefs.available', 0.1, 0],
    ['nodefs.inodesFree', 0.05, 0],
    ['imagefs.available', 0.15, 0],
    ['imagefs.inodesFree', 0.05, 0],
    // ParseThresholdConfig with enforce-node-allocatable=pods: the hard memory threshold again, for the pods' cgroup.
    ['allocatableMemory.available', '100Mi', 0],
  ]);
  assert.equal(d.thresholds[0]!.quantity, 100 * 1024 * 1024);
  assert.deepEqual(parseEvictionHard({ 'nodefs.available': '1Gi', 'imagefs.available': '0%', 'nodefs.inodesFree': '100%' }).thresholds, [{ signal: 'nodefs.available', quantity: 1024 ** 3, text: '1Gi', gracePeriodMs: 0 }]);
  assert.deepEqual(parseEvictionHard({ 'pid.available': '10%' }).thresholds, [{ signal: 'pid.available', fraction: 0.1, gracePeriodMs: 0 }]);
});

test('threshold config errors in upstream words; soft thresholds need a grace period and get no allocatable copy', () => {
  assert.equal(parseEvictionHard({ 'containerfs.available': '10%' }).error, 'unsupported eviction signal containerfs.available');
  assert.equal(parseEvictionHard({ 'nodefs.available': '101%' }).error, 'eviction percentage threshold nodefs.available must be <= 100%: 101%');
  assert.equal(parseEvictionHard({ 'nodefs.available': '-1%' }).error, 'eviction percentage threshold nodefs.available must be >= 0%: -1%');
  assert.equal(parseEvictionHard({ 'memory.available': '0' }).error, 'eviction threshold memory.available must be positive: 0');
  assert.match(parseEvictionHard({ 'nodefs.available': 'lots' }).error!, /^quantities must match the regular expression/);
  // ParseQuantity's own error, as parseThresholdStatement returns it.
  assert.equal(parseEvictionHard({ 'nodefs.available': '1i' }).error, "unable to parse quantity's suffix");
  assert.equal(parseEvictionHard({ 'nodefs.available': 'x%' }).error, 'strconv.ParseFloat: parsing "x": invalid syntax');
  assert.equal(parseThresholdConfig({ soft: { 'memory.available': '1Gi' } }).error, 'grace period must be specified for the soft eviction threshold memory.available');
  assert.equal(parseThresholdConfig({ soft: { 'memory.available': '1Gi' }, softGracePeriod: { 'memory.available': '-1s' } }).error, 'invalid eviction grace period specified: -1s, must be a positive value');
  assert.equal(parseThresholdConfig({ softGracePeriod: { 'memory.available': 'soon' } }).error, 'time: invalid duration "soon"');
  assert.equal(parseThresholdConfig({ softGracePeriod: { 'swap.available': '1m' } }).error, 'unsupported eviction signal swap.available');
  const c = parseThresholdConfig({ hard: { 'memory.available': '100Mi' }, soft: { 'memory.available': '500Mi' }, softGracePeriod: { 'memory.available': '1m30s' } });
  assert.deepEqual(c.thresholds.map((t) => [t.signal, t.text, t.gracePeriodMs]), [['memory.available', '100Mi', 0], ['memory.available', '500Mi', 90_000], ['allocatableMemory.available', '100Mi', 0]]);
});

test('flag forms, conditions, resources, thresholdsMet and the memory-first order', () => {
  assert.deepEqual(evictionHardFlag('memory.available<200Mi, nodefs.available<5%'), { 'memory.available': '200Mi', 'nodefs.available': '5%' });
  assert.throws(() => evictionHardFlag('nodefs.available=5%'), /invalid --eviction-hard: malformed pair, expect string<string/);
  assert.deepEqual(mapFlag('eviction-soft-grace-period', 'memory.available=1m', '='), { 'memory.available': '1m' });
  assert.deepEqual(['memory.available', 'allocatableMemory.available', 'nodefs.inodesFree', 'imagefs.available', 'pid.available'].map((s) => [conditionOf(s as never), resourceOf(s as never)]), [
    ['MemoryPressure', 'memory'], ['MemoryPressure', 'memory'], ['DiskPressure', 'inodes'], ['DiskPressure', 'ephemeral-storage'], ['PIDPressure', 'pids'],
  ]);
  const { thresholds } = parseEvictionHard({ 'nodefs.available': '10%', 'memory.available': '100Mi' });
  const Mi = 1024 * 1024;
  // Exactly at the threshold is not under it; a signal without observation or capacity meets none.
  assert.deepEqual(thresholdsMet(thresholds, { 'memory.available': { available: 100 * Mi, capacity: 1000 * Mi } }), []);
  const met = thresholdsMet(thresholds, { 'memory.available': { available: 99 * Mi, capacity: 1000 * Mi }, 'nodefs.available': { available: 9, capacity: 100 }, 'allocatableMemory.available': { available: 0, capacity: 0 } });
  assert.deepEqual(met.map((t) => t.signal), ['nodefs.available', 'memory.available']);
  assert.deepEqual(byEvictionPriority(met).map((t) => t.signal), ['memory.available', 'nodefs.available']);
});

test('evictionMinimumReclaim: on every threshold of its signal (the allocatable copy too), in upstream words; a met threshold holds until the reclaim is available', () => {
  const c = parseThresholdConfig({ hard: { 'memory.available': '100Mi', 'nodefs.available': '10%' }, minimumReclaim: { 'memory.available': '50Mi', 'nodefs.available': '5%' } });
  assert.deepEqual(c.thresholds.map((t) => [t.signal, t.minReclaim]), [['memory.available', { quantity: 50 * 1024 * 1024 }], ['nodefs.available', { fraction: 0.05 }], ['allocatableMemory.available', { quantity: 50 * 1024 * 1024 }]]);
  assert.equal(parseThresholdConfig({ minimumReclaim: { 'memory.available': '0%' } }).error, 'eviction percentage minimum reclaim memory.available must be positive: 0%');
  assert.equal(parseThresholdConfig({ minimumReclaim: { 'memory.available': '-1Mi' } }).error, 'negative eviction minimum reclaim specified for memory.available');
  assert.equal(parseThresholdConfig({ minimumReclaim: { 'pods.available': '1' } }).error, 'unsupported eviction signal pods.available');
  const Mi = 1024 * 1024;
  const obs = { 'memory.available': { available: 120 * Mi, capacity: 1000 * Mi } };
  assert.deepEqual(thresholdsMet(c.thresholds, obs), []);
  assert.deepEqual(thresholdsMet(c.thresholds, obs, true).map((t) => t.signal), ['memory.available']);
});
