import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { observation, readNodeMemory, readPids } from './node-signals.ts';
import { withTempDir } from '../../../../test/helpers/temp-dir.ts';

const MEMINFO = 'MemTotal:        1000000 kB\nMemFree:          400000 kB\nMemAvailable:     700000 kB\nInactive(file):   100000 kB\n';

test('node memory: the root memory cgroup on v1 (usage less total_inactive_file), /proc/meminfo without it; capacity MemTotal', async () =>
  withTempDir('node-signals-', async (dir) => {
    const proc = join(dir, 'proc');
    mkdirSync(join(proc, 'sys/kernel'), { recursive: true });
    writeFileSync(join(proc, 'meminfo'), MEMINFO);
    // No cgroup v1 memory hierarchy (v2): meminfo's in-use less Inactive(file).
    assert.deepEqual(await readNodeMemory({ mountRoot: join(dir, 'none'), proc }), { capacity: 1_024_000_000, workingSet: 500_000 * 1024 });
    const v1 = join(dir, 'cgroup', 'memory');
    mkdirSync(v1, { recursive: true });
    writeFileSync(join(v1, 'memory.usage_in_bytes'), '300000000\n');
    writeFileSync(join(v1, 'memory.stat'), 'cache 1\ninactive_file 5\ntotal_inactive_file 50000000\n');
    assert.deepEqual(await readNodeMemory({ mountRoot: join(dir, 'cgroup'), proc }), { capacity: 1_024_000_000, workingSet: 250_000_000 });
    writeFileSync(join(proc, 'sys/kernel/pid_max'), '4194304\n');
    writeFileSync(join(proc, 'loadavg'), '0.50 0.40 0.30 3/1234 5678\n');
    assert.deepEqual(await readPids(proc), { max: 4194304, running: 1234 });
    assert.equal(await readPids(join(dir, 'nowhere')), undefined);
  }));

test('observations: available floored at zero, capacity is available plus what is used', () => {
  assert.deepEqual(observation(1000, 300), { available: 700, capacity: 1000 });
  assert.deepEqual(observation(1000, 1200), { available: 0, capacity: 1200 });
});

test('this machine: the node working set is within its memory', async () => {
  const m = await readNodeMemory();
  assert.ok(m.capacity > 0 && m.workingSet > 0 && m.workingSet <= m.capacity, JSON.stringify(m));
});
