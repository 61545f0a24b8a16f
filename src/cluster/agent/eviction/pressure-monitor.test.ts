import { test } from 'node:test';
import assert from 'node:assert/strict';
import { observeDisk, type FsStats } from './disk-pressure.ts';
import { PressureMonitor } from './pressure-monitor.ts';
import { DEFAULT_EVICTION_HARD, parseEvictionHard, parseThresholdConfig, type Observations } from './thresholds.ts';

const log = { info() {}, warn() {} };
const Mi = 1024 * 1024;
/** A 1000-block file system of 4 KiB blocks and 1000 inodes with `freePct` % of each free. */
const fs = (freePct: number, inodesFreePct = 50): FsStats => ({ bsize: 4096, blocks: 1000, bavail: freePct * 10, files: 1000, ffree: inodesFreePct * 10 });

test('DiskPressure: set when a disk threshold is met, held for the transition period after it was last met', async () => {
  let now = 0;
  let nodefs = fs(50);
  let imagefs = fs(50);
  const m = new PressureMonitor({ thresholds: parseEvictionHard(DEFAULT_EVICTION_HARD).thresholds, observe: async () => observeDisk(nodefs, imagefs), now: () => now, log });
  assert.deepEqual(await m.pass(), []);
  // imagefs at 12% free: under its 15% threshold though nodefs's 10% is not met.
  imagefs = fs(12);
  now = 10_000;
  assert.deepEqual(await m.pass(), ['DiskPressure']);
  assert.deepEqual(m.thresholdsMet.map((t) => t.signal), ['imagefs.available']);
  assert.deepEqual(m.observations?.['imagefs.available'], { available: 120 * 4096, capacity: 1000 * 4096 });
  // Space freed: still True until 5 min after the last time the threshold was met.
  imagefs = fs(50);
  now = 10_000 + 299_999;
  assert.deepEqual(await m.pass(), ['DiskPressure']);
  assert.equal(m.thresholdsMet.length, 0);
  now = 10_000 + 300_000;
  assert.deepEqual(await m.pass(), []);
  // Inodes count too: 4% free inodes on nodefs is under 5%.
  nodefs = fs(50, 4);
  assert.deepEqual(await m.pass(), ['DiskPressure']);
  assert.deepEqual(m.thresholdsMet.map((t) => t.signal), ['nodefs.inodesFree']);
  // Exactly at a threshold is not under it.
  nodefs = fs(10, 5);
  now += 600_000;
  assert.deepEqual(await m.pass(), []);
});

test('a failing observation keeps the last state; a file system without inode counts meets no inode threshold', async () => {
  let fail = false;
  let stats: FsStats = fs(5);
  let now = 0;
  const m = new PressureMonitor({
    thresholds: parseEvictionHard(DEFAULT_EVICTION_HARD).thresholds,
    observe: async () => {
      if (fail) throw new Error('EIO');
      return observeDisk(stats, stats);
    },
    now: () => now,
    transitionMs: 1,
    log,
  });
  assert.deepEqual(await m.pass(), ['DiskPressure']);
  fail = true;
  assert.deepEqual(await m.pass(), ['DiskPressure']);
  fail = false;
  now = 1;
  stats = { bsize: 4096, blocks: 1000, bavail: 900, files: 0, ffree: 0 };
  assert.deepEqual(await m.pass(), []);
});

test('MemoryPressure from memory.available or the pods\' allocatable; a soft threshold acts only after its grace period, its condition at once', async () => {
  let now = 0;
  let obs: Observations = {};
  const { thresholds } = parseThresholdConfig({ hard: { 'memory.available': '100Mi', 'pid.available': '10%' }, soft: { 'memory.available': '300Mi' }, softGracePeriod: { 'memory.available': '1m' } });
  const m = new PressureMonitor({ thresholds, observe: async () => obs, now: () => now, transitionMs: 10_000, log });
  obs = { 'memory.available': { available: 500 * Mi, capacity: 1000 * Mi }, 'allocatableMemory.available': { available: 400 * Mi, capacity: 800 * Mi }, 'pid.available': { available: 50_000, capacity: 100_000 } };
  assert.deepEqual(await m.pass(), []);
  // Under the soft threshold: the condition is True now, eviction waits for the grace period.
  obs = { ...obs, 'memory.available': { available: 200 * Mi, capacity: 1000 * Mi } };
  assert.deepEqual(await m.pass(), ['MemoryPressure']);
  assert.equal(m.thresholdsMet.length, 0);
  assert.deepEqual(m.unresolved.map((t) => [t.signal, t.gracePeriodMs]), [['memory.available', 60_000]]);
  now = 59_999;
  await m.pass();
  assert.equal(m.thresholdsMet.length, 0);
  now = 60_000;
  await m.pass();
  assert.deepEqual(m.thresholdsMet.map((t) => [t.signal, t.gracePeriodMs]), [['memory.available', 60_000]]);
  // Back above it, then under again: the grace period starts afresh.
  obs = { ...obs, 'memory.available': { available: 500 * Mi, capacity: 1000 * Mi } };
  now = 61_000;
  await m.pass();
  obs = { ...obs, 'memory.available': { available: 200 * Mi, capacity: 1000 * Mi } };
  now = 62_000;
  await m.pass();
  assert.equal(m.thresholdsMet.length, 0);
  // The pods' cgroup near allocatable is MemoryPressure too, and hard; PIDs under 10% are PIDPressure.
  obs = { 'memory.available': { available: 500 * Mi, capacity: 1000 * Mi }, 'allocatableMemory.available': { available: 50 * Mi, capacity: 800 * Mi }, 'pid.available': { available: 9_999, capacity: 100_000 } };
  now = 100_000;
  assert.deepEqual(await m.pass(), ['MemoryPressure', 'PIDPressure']);
  assert.deepEqual(m.thresholdsMet.map((t) => t.signal), ['pid.available', 'allocatableMemory.available']);
  assert.ok(m.has('PIDPressure') && !m.has('DiskPressure'));
});

test('a threshold acted on stays met (and its condition True) until its minimum reclaim is available too', async () => {
  let now = 0;
  let available = 90 * Mi;
  const { thresholds } = parseThresholdConfig({ hard: { 'memory.available': '100Mi' }, minimumReclaim: { 'memory.available': '50Mi' } });
  const m = new PressureMonitor({ thresholds: thresholds.filter((t) => t.signal === 'memory.available'), observe: async () => ({ 'memory.available': { available, capacity: 1000 * Mi } }), now: () => now, transitionMs: 1, log });
  assert.deepEqual(await m.pass(), ['MemoryPressure']);
  assert.equal(m.thresholdsMet.length, 1);
  // Above 100Mi but under 150Mi: still acted on.
  available = 140 * Mi;
  now = 10;
  assert.deepEqual(await m.pass(), ['MemoryPressure']);
  assert.equal(m.thresholdsMet.length, 1);
  assert.equal(m.unresolved.length, 1);
  available = 150 * Mi;
  now = 20;
  assert.deepEqual(await m.pass(), []);
  assert.equal(m.thresholdsMet.length, 0);
  // Not met before, so 140Mi does not start it again.
  available = 140 * Mi;
  now = 30;
  assert.deepEqual(await m.pass(), []);
});
