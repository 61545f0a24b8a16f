import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNodeStats, parseProcCgroup, parseV1Stats, parseV2Stats, readProcessStats } from './cgroup-stats.ts';

const at = new Date('2026-01-02T03:04:05.678Z');

// As a v1 kernel writes them (trimmed memory.stat of a container running a shell loop).
const V1_MEMORY_STAT = `cache 1216512
rss 569344
mapped_file 0
inactive_anon 0
active_anon 569344
inactive_file 1081344
active_file 135168
hierarchical_memory_limit 9223372036854771712
total_cache 1216512
total_rss 569344
total_inactive_anon 0
total_active_anon 569344
total_inactive_file 1081344
total_active_file 135168
`;

const V2_CPU_STAT = `usage_usec 1523411
user_usec 1021000
system_usec 502411
nr_periods 0
nr_throttled 0
throttled_usec 0
`;

const V2_MEMORY_STAT = `anon 569344
file 1216512
kernel_stack 16384
active_anon 569344
inactive_anon 0
active_file 135168
inactive_file 1081344
`;

test('cgroup v1: cpuacct.usage in ns, working set = usage_in_bytes - total_inactive_file', () => {
  const s = parseV1Stats({ cpuacctUsage: '2500000000\n', memoryUsage: '1851392\n', memoryStat: `${V1_MEMORY_STAT}total_pgfault 900\ntotal_pgmajfault 2\n`, memoryLimit: '9223372036854771712\n' }, at);
  assert.deepEqual(s, { cpuUsageNanos: 2_500_000_000, memoryWorkingSetBytes: 1851392 - 1081344, timestamp: at, memoryUsageBytes: 1851392, memoryRssBytes: 569344, pageFaults: 900, majorPageFaults: 2 });
  assert.equal(parseV1Stats({ cpuacctUsage: '1', memoryUsage: '1', memoryStat: '', memoryLimit: '67108864\n' }, at).memoryLimitBytes, 64 * 1024 * 1024);
});

test('cgroup v2: cpu.stat usage_usec → ns, working set = memory.current - inactive_file', () => {
  const s = parseV2Stats({ cpuStat: V2_CPU_STAT, memoryCurrent: '2000000\n', memoryStat: `${V2_MEMORY_STAT}pgfault 700\npgmajfault 1\n`, memoryMax: 'max\n' }, at);
  assert.deepEqual(s, { cpuUsageNanos: 1_523_411_000, memoryWorkingSetBytes: 2000000 - 1081344, timestamp: at, memoryUsageBytes: 2000000, memoryRssBytes: 569344, pageFaults: 700, majorPageFaults: 1 });
  assert.equal(parseV2Stats({ cpuStat: V2_CPU_STAT, memoryCurrent: '1', memoryStat: '', memoryMax: '1048576\n' }, at).memoryLimitBytes, 1048576);
});

test('the working set never goes below zero, and garbage is an error rather than a zero', () => {
  assert.equal(parseV2Stats({ cpuStat: V2_CPU_STAT, memoryCurrent: '1000', memoryStat: V2_MEMORY_STAT }, at).memoryWorkingSetBytes, 0);
  assert.throws(() => parseV1Stats({ cpuacctUsage: 'max', memoryUsage: '1', memoryStat: '' }, at), /cpuacct.usage: not a number/);
  assert.throws(() => parseV2Stats({ cpuStat: 'nr_periods 0', memoryCurrent: '1', memoryStat: '' }, at), /no usage_usec/);
});

test('/proc/<pid>/cgroup: v1 controllers (also when mounted together) and the unified line', () => {
  const text = '12:memory:/agent/portcullis/c1\n4:cpu,cpuacct:/portcullis/c1\n1:name=systemd:/\n0::/portcullis/c1\n';
  assert.deepEqual(parseProcCgroup(text), { memory: '/agent/portcullis/c1', cpuacct: '/portcullis/c1', unified: '/portcullis/c1' });
});

test('the node: busy jiffies from /proc/stat, (MemTotal - MemFree) - Inactive(file) from /proc/meminfo', () => {
  const stat = 'cpu  100 20 30 5000 40 5 6 7 0 0\ncpu0 50 10 15 2500 20 2 3 3 0 0\n';
  const meminfo = 'MemTotal:        8000000 kB\nMemFree:         3000000 kB\nMemAvailable:    6000000 kB\nInactive(file):  1000000 kB\n';
  const s = parseNodeStats(stat, meminfo, at);
  assert.equal(s.cpuUsageNanos, (100 + 20 + 30 + 5 + 6 + 7) * 10_000_000);
  assert.equal(s.memoryWorkingSetBytes, (8000000 - 3000000 - 1000000) * 1024);
  assert.throws(() => parseNodeStats('intr 1', meminfo, at), /no cpu line/);
});

test('readProcessStats follows the process to its cgroups (v1 layout, then v2), undefined once gone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cgstats-'));
  try {
    const proc = join(dir, 'proc');
    mkdirSync(join(proc, '42'), { recursive: true });
    writeFileSync(join(proc, '42', 'cgroup'), '5:memory:/a/portcullis/c1\n3:cpu,cpuacct:/portcullis/c1\n0::/\n');
    const v1 = join(dir, 'v1');
    mkdirSync(join(v1, 'cpuacct/portcullis/c1'), { recursive: true });
    mkdirSync(join(v1, 'memory/a/portcullis/c1'), { recursive: true });
    writeFileSync(join(v1, 'cpuacct/portcullis/c1/cpuacct.usage'), '7000\n');
    writeFileSync(join(v1, 'memory/a/portcullis/c1/memory.usage_in_bytes'), '5000\n');
    writeFileSync(join(v1, 'memory/a/portcullis/c1/memory.stat'), 'total_inactive_file 1000\n');
    assert.deepEqual(await readProcessStats(42, { mountRoot: v1, proc, now: () => at }), { cpuUsageNanos: 7000, memoryWorkingSetBytes: 4000, timestamp: at, memoryUsageBytes: 5000 });
    // The processes in the container's own cgroup (PID-pressure ranking).
    writeFileSync(join(v1, 'memory/a/portcullis/c1/cgroup.procs'), '42\n43\n44\n');
    assert.equal((await readProcessStats(42, { mountRoot: v1, proc, now: () => at }))?.processCount, 3);

    writeFileSync(join(proc, '42', 'cgroup'), '0::/portcullis/c1\n');
    const v2 = join(dir, 'v2');
    mkdirSync(join(v2, 'portcullis/c1'), { recursive: true });
    writeFileSync(join(v2, 'cgroup.controllers'), 'cpu memory pids\n');
    writeFileSync(join(v2, 'portcullis/c1/cpu.stat'), 'usage_usec 3\n');
    writeFileSync(join(v2, 'portcullis/c1/memory.current'), '300\n');
    writeFileSync(join(v2, 'portcullis/c1/memory.stat'), 'inactive_file 100\n');
    assert.deepEqual(await readProcessStats(42, { mountRoot: v2, proc, now: () => at }), { cpuUsageNanos: 3000, memoryWorkingSetBytes: 200, timestamp: at, memoryUsageBytes: 300 });
    writeFileSync(join(v2, 'portcullis/c1/cgroup.procs'), '42\n');
    assert.equal((await readProcessStats(42, { mountRoot: v2, proc, now: () => at }))?.processCount, 1);

    assert.equal(await readProcessStats(43, { mountRoot: v2, proc }), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
