import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPodsCgroup, enforcePodsCgroupLimits, readPidCapacity, startNodeAllocatableEnforcement } from './pods-cgroup-limits.ts';
import { FakeClock } from '../../client/fake-clock.ts';

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

test('createNodeAllocatableCgroups: a missing pods\' cgroup is made with its limits, an existing one is left to the update loop', () => inTmp('na-create-', async (root) => {
  const self = '4:memory:/\n1:cpu,cpuacct:/\n8:pids:/\n0::/\n';
  await createPodsCgroup({ memory: GI, cpu: 1000n, pid: 100n }, 'portcullis', root, self);
  assert.equal(readFileSync(join(root, 'memory/portcullis/memory.limit_in_bytes'), 'utf8'), String(GI));
  // Exists in every hierarchy: not written again (a limit below the pods' usage would fail the start).
  await createPodsCgroup({ memory: 2n * GI, cpu: 1000n, pid: 100n }, 'portcullis', root, self);
  assert.equal(readFileSync(join(root, 'memory/portcullis/memory.limit_in_bytes'), 'utf8'), String(GI));
  // Missing in one hierarchy: created, with its limits.
  rmSync(join(root, 'pids/portcullis'), { recursive: true });
  await createPodsCgroup({ memory: 2n * GI, cpu: 1000n, pid: 50n }, 'portcullis', root, self);
  assert.equal(readFileSync(join(root, 'pids/portcullis/pids.max'), 'utf8'), '50');
}));

test('enforceNodeAllocatableCgroups: the update is retried a minute after each failure, with upstream\'s Events, until it succeeds', async () => {
  const clock = new FakeClock();
  const events: string[] = [];
  let failures = 2;
  let writes = 0;
  const enforcement = startNodeAllocatableEnforcement({
    nodeAllocatable: {
      cgroupName: 'kubepods',
      enforce: async () => {
        writes++;
        if (failures-- > 0) throw new Error('cannot enforce node allocatable: writing 83886080 to /sys/fs/cgroup/memory/kubepods/memory.limit_in_bytes: EBUSY: resource busy or locked');
      },
    },
    event: (type, reason, message) => events.push(`${type} ${reason} ${message}`),
    timers: clock,
  });
  await clock.advance(0);
  const failed = 'Warning FailedNodeAllocatableEnforcement Failed to update Node Allocatable Limits ["kubepods"]: cannot enforce node allocatable: writing 83886080 to /sys/fs/cgroup/memory/kubepods/memory.limit_in_bytes: EBUSY: resource busy or locked';
  assert.deepEqual(events, [failed]);
  await clock.advance(59_999);
  assert.equal(writes, 1);
  await clock.advance(1);
  assert.deepEqual(events, [failed, failed]);
  await clock.advance(60_000);
  assert.deepEqual(events, [failed, failed, 'Normal NodeAllocatableEnforced Updated Node Allocatable limit across pods']);
  // After a success nothing is written again, as the kubelet.
  await clock.advance(600_000);
  assert.equal(writes, 3);
  assert.equal(clock.timers, 0);
  enforcement.stop();
});

test('stopping the agent ends the retries', async () => {
  const clock = new FakeClock();
  let writes = 0;
  const enforcement = startNodeAllocatableEnforcement({ nodeAllocatable: { cgroupName: 'a/b', enforce: async () => {
    writes++;
    throw new Error('x');
  } }, event: () => {}, timers: clock });
  await clock.advance(0);
  assert.equal(clock.timers, 1);
  enforcement.stop();
  await clock.advance(300_000);
  assert.equal(writes, 1);
  assert.equal(clock.timers, 0);
});
