import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSelfStats, readSelfStats } from './self-stats.ts';

const at = new Date('2026-01-01T00:00:00Z');

test('/proc/<pid>/stat and status: CPU ticks, page faults, start ticks, resident memory (a ")" in the command name)', () => {
  const stat = '77 (a) b (c)) R 1 77 77 0 -1 0 12 0 4 0 300 100 0 0 20 0 1 0 2500 0 0\n';
  const { usage, startTicks } = parseSelfStats(stat, 'VmRSS:\t 1000 kB\nRssAnon:\t 600 kB\n', at);
  assert.deepEqual(usage, { cpuUsageNanos: 4_000_000_000, memoryWorkingSetBytes: 1_024_000, timestamp: at, memoryUsageBytes: 1_024_000, memoryRssBytes: 614_400, pageFaults: 12, majorPageFaults: 4 });
  assert.equal(startTicks, 2500);
  assert.throws(() => parseSelfStats('77 (a) R 1', '', at), /is not a number/);
});

test('this process, read from the real /proc: CPU used, resident, started before now', async () => {
  const now = new Date();
  const s = await readSelfStats(now);
  assert.ok(s);
  assert.ok(s.usage.cpuUsageNanos > 0 && s.usage.memoryWorkingSetBytes > 1_000_000, JSON.stringify(s.usage));
  assert.ok(s.startTime.getTime() <= now.getTime());
  assert.equal(await readSelfStats(now, '/nonexistent-proc'), undefined);
});
