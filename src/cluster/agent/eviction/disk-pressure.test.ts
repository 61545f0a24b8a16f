import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_EVICTION_HARD, DiskPressureMonitor, evictionHardFlag, parseEvictionHard, type FsStats } from './disk-pressure.ts';

const log = { info() {}, warn() {} };
/** A 1000-block file system of 4 KiB blocks and 1000 inodes with `freePct` % of each free. */
const fs = (freePct: number, inodesFreePct = 50): FsStats => ({ bsize: 4096, blocks: 1000, bavail: freePct * 10, files: 1000, ffree: inodesFreePct * 10 });

test('evictionHard: upstream defaults, percentages, quantities, 0%/100% disable, errors in upstream words', () => {
  const d = parseEvictionHard(DEFAULT_EVICTION_HARD);
  assert.equal(d.error, undefined);
  assert.deepEqual(d.thresholds.map((t) => [t.signal, t.fraction]), [
    ['nodefs.available', 0.1],
    ['nodefs.inodesFree', 0.05],
    ['imagefs.available', 0.15],
    ['imagefs.inodesFree', 0.05],
  ]);
  assert.deepEqual(parseEvictionHard({ 'nodefs.available': '1Gi', 'imagefs.available': '0%', 'nodefs.inodesFree': '100%' }).thresholds, [{ signal: 'nodefs.available', quantity: 1024 ** 3 }]);
  assert.equal(parseEvictionHard({ 'memory.available': '100Mi' }).error, 'unsupported eviction signal memory.available');
  assert.equal(parseEvictionHard({ 'nodefs.available': '101%' }).error, 'eviction percentage threshold nodefs.available must be <= 100%: 101%');
  assert.equal(parseEvictionHard({ 'nodefs.available': '-1%' }).error, 'eviction percentage threshold nodefs.available must be >= 0%: -1%');
  assert.equal(parseEvictionHard({ 'nodefs.available': '0' }).error, 'eviction threshold nodefs.available must be positive: 0');
  assert.match(parseEvictionHard({ 'nodefs.available': 'lots' }).error!, /invalid eviction threshold nodefs.available: lots/);
  assert.deepEqual(evictionHardFlag('nodefs.available<5%, imagefs.available<2Gi'), { 'nodefs.available': '5%', 'imagefs.available': '2Gi' });
  assert.throws(() => evictionHardFlag('nodefs.available=5%'), /malformed pair, expect string<string/);
});

test('DiskPressure: set when a disk threshold is met, held for the transition period after it was last met', async () => {
  let now = 0;
  let nodefs = fs(50);
  let imagefs = fs(50);
  const m = new DiskPressureMonitor({
    thresholds: parseEvictionHard(DEFAULT_EVICTION_HARD).thresholds,
    statfs: async (w) => (w === 'nodefs' ? nodefs : imagefs),
    now: () => now,
    log,
  });
  assert.equal(await m.pass(), false);
  // imagefs at 12% free: under its 15% threshold though nodefs's 10% is not met.
  imagefs = fs(12);
  now = 10_000;
  assert.equal(await m.pass(), true);
  assert.deepEqual(m.thresholdsMet.map((t) => t.signal), ['imagefs.available']);
  assert.deepEqual(m.observations?.['imagefs.available'], { available: 120 * 4096, capacity: 1000 * 4096 });
  // Space freed: still True until 5 min after the last time the threshold was met.
  imagefs = fs(50);
  now = 10_000 + 299_999;
  assert.equal(await m.pass(), true);
  assert.equal(m.thresholdsMet.length, 0);
  now = 10_000 + 300_000;
  assert.equal(await m.pass(), false);
  // Inodes count too: 4% free inodes on nodefs is under 5%.
  nodefs = fs(50, 4);
  assert.equal(await m.pass(), true);
  assert.deepEqual(m.thresholdsMet.map((t) => t.signal), ['nodefs.inodesFree']);
  // Exactly at a threshold is not under it.
  nodefs = fs(10, 5);
  now += 600_000;
  assert.equal(await m.pass(), false);
});

test('DiskPressure: a failing statfs keeps the last state; a file system without inode counts meets no inode threshold', async () => {
  let fail = false;
  let stats: FsStats = fs(5);
  let now = 0;
  const m = new DiskPressureMonitor({
    thresholds: parseEvictionHard(DEFAULT_EVICTION_HARD).thresholds,
    statfs: async () => {
      if (fail) throw new Error('EIO');
      return stats;
    },
    now: () => now,
    transitionMs: 1,
    log,
  });
  assert.equal(await m.pass(), true);
  fail = true;
  assert.equal(await m.pass(), true);
  fail = false;
  now = 1;
  stats = { bsize: 4096, blocks: 1000, bavail: 900, files: 0, ffree: 0 };
  assert.equal(await m.pass(), false);
});
