import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enforcePodsCgroupLimits, readPidCapacity } from './pods-cgroup-limits.ts';

const GI = 1024n ** 3n;

/** Runs fn in a fresh temporary directory (a fake cgroup mount or /proc), removed afterwards. */
async function inTmp(prefix: string, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('cgroup v1: the limits go under the agent\'s own memory, cpu and pids cgroups, where runc puts the pods', () => inTmp('na-v1-', async (root) => {
  const self = '4:memory:/agent\n1:cpu,cpuacct:/sys\n8:pids:/\n0::/\n';
  await enforcePodsCgroupLimits({ cpu: 1500n, memory: 2n * GI, pid: 1000n }, 'portcullis', root, self);
  assert.equal(readFileSync(join(root, 'memory/agent/portcullis/memory.limit_in_bytes'), 'utf8'), String(2n * GI));
  assert.equal(readFileSync(join(root, 'cpu/sys/portcullis/cpu.shares'), 'utf8'), '1536');
  assert.equal(readFileSync(join(root, 'pids/portcullis/pids.max'), 'utf8'), '1000');
}));

test('cgroup v2: controllers delegated from the root, then memory.max, cpu.weight and pids.max on /<parent>', () => inTmp('na-v2-', async (root) => {
  writeFileSync(join(root, 'cgroup.controllers'), 'cpu memory pids\n');
  await enforcePodsCgroupLimits({ cpu: 1000n, memory: GI, pid: 4096n }, 'portcullis', root, '0::/\n');
  assert.equal(readFileSync(join(root, 'cgroup.subtree_control'), 'utf8'), '+memory +cpu +pids');
  assert.equal(readFileSync(join(root, 'portcullis/memory.max'), 'utf8'), String(GI));
  assert.equal(readFileSync(join(root, 'portcullis/cpu.weight'), 'utf8'), '39');
  assert.equal(readFileSync(join(root, 'portcullis/pids.max'), 'utf8'), '4096');
}));

test('a limit that cannot be written fails (the agent does not start), naming the file', () => inTmp('na-dir-', async (root) => {
  mkdirSync(join(root, 'pids/portcullis/pids.max'), { recursive: true });
  await assert.rejects(enforcePodsCgroupLimits({ pid: 10n }, 'portcullis', root, '8:pids:/\n'), /cannot enforce node allocatable: writing 10 to .*pids\.max/);
}));

test('PID capacity is the smaller of pid_max and threads-max', () => inTmp('na-proc-', async (proc) => {
  mkdirSync(join(proc, 'sys/kernel'), { recursive: true });
  writeFileSync(join(proc, 'sys/kernel/pid_max'), '4194304\n');
  writeFileSync(join(proc, 'sys/kernel/threads-max'), '63000\n');
  assert.equal(await readPidCapacity(proc), 63000n);
}));
