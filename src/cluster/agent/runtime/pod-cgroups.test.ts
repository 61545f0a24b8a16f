import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Container, PodSpec } from 'kubernetes-types/core/v1.js';
import { withTempDir } from '../../../../test/helpers/temp-dir.ts';
import { applyCgroupConfig, burstableShares, CgroupLayout, podCgroupConfig, podCgroupPath, removeCgroup, updateQosCgroups } from './pod-cgroups.ts';

const MI = 1024 * 1024;
const c = (name: string, requests?: Record<string, string>, limits?: Record<string, string>): Container => ({ name, image: 'x', resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) } });
const spec = (containers: Container[], more: Partial<PodSpec> = {}): PodSpec => ({ containers, ...more });

test('ResourceConfigForPod: a Guaranteed pod gets shares, quota and period, and its memory limit (upstream\'s figures)', () => {
  // helpers_linux_test.go "guaranteed": cpu 100m, memory 100Mi → 102 shares, quota 10000 of 100000.
  assert.deepEqual(podCgroupConfig(spec([c('a', { cpu: '100m', memory: '100Mi' }, { cpu: '100m', memory: '100Mi' })])), {
    qos: 'Guaranteed', cpuRequestMilli: 100, cpuShares: 102, cpuQuota: 10_000, cpuPeriod: 100_000, memoryLimit: 100 * MI,
  });
  // Two containers, limits only (requests default to them): the sums.
  assert.deepEqual(podCgroupConfig(spec([c('a', undefined, { cpu: '500m', memory: '128Mi' }), c('b', undefined, { cpu: '1', memory: '128Mi' })])), {
    qos: 'Guaranteed', cpuRequestMilli: 1500, cpuShares: 1536, cpuQuota: 150_000, cpuPeriod: 100_000, memoryLimit: 256 * MI,
  });
});

test('ResourceConfigForPod: a Burstable pod gets a quota and a memory limit only when every container sets that limit', () => {
  // "burstable-with-limits": requests 100m/100Mi, limits 200m/200Mi → 102 shares, quota 20000, 200Mi.
  assert.deepEqual(podCgroupConfig(spec([c('a', { cpu: '100m', memory: '100Mi' }, { cpu: '200m', memory: '200Mi' })])), {
    qos: 'Burstable', cpuRequestMilli: 100, cpuShares: 102, cpuQuota: 20_000, cpuPeriod: 100_000, memoryLimit: 200 * MI,
  });
  // "burstable-no-limits": shares alone.
  assert.deepEqual(podCgroupConfig(spec([c('a', { cpu: '100m', memory: '100Mi' })])), { qos: 'Burstable', cpuRequestMilli: 100, cpuShares: 102 });
  // "burstable-partial-limits": one container without limits → neither.
  assert.deepEqual(podCgroupConfig(spec([c('a', { cpu: '100m', memory: '100Mi' }, { cpu: '200m', memory: '200Mi' }), c('b', { cpu: '100m', memory: '100Mi' })])), {
    qos: 'Burstable', cpuRequestMilli: 200, cpuShares: 204,
  });
  // Memory limits everywhere, cpu not: memory only.
  assert.deepEqual(podCgroupConfig(spec([c('a', { cpu: '100m' }, { memory: '64Mi' }), c('b', undefined, { memory: '32Mi' })])), {
    qos: 'Burstable', cpuRequestMilli: 100, cpuShares: 102, memoryLimit: 96 * MI,
  });
  // An init container without a memory limit counts too (PodLimits' ContainerFn sees init containers).
  assert.equal(podCgroupConfig(spec([c('a', { cpu: '100m' }, { memory: '64Mi' })], { initContainers: [c('i', { cpu: '10m' })] })).memoryLimit, undefined);
  // A larger init container raises the limit (the largest init container against the sum).
  assert.equal(podCgroupConfig(spec([c('a', { cpu: '100m' }, { memory: '64Mi' })], { initContainers: [c('i', undefined, { memory: '100Mi' })] })).memoryLimit, 100 * MI);
});

test('ResourceConfigForPod: spec.overhead is added to the requests, and to limits that are set', () => {
  const cfg = podCgroupConfig(spec([c('a', { cpu: '100m', memory: '100Mi' }, { cpu: '200m', memory: '200Mi' })], { overhead: { cpu: '250m', memory: '120Mi' } }));
  assert.deepEqual(cfg, { qos: 'Burstable', cpuRequestMilli: 350, cpuShares: 358, cpuQuota: 45_000, cpuPeriod: 100_000, memoryLimit: 320 * MI });
  // No memory limit declared: overhead does not make one.
  assert.equal(podCgroupConfig(spec([c('a', { memory: '100Mi' })], { overhead: { memory: '120Mi' } })).memoryLimit, undefined);
});

test('ResourceConfigForPod: BestEffort gets 2 shares; the pod PID limit goes to every class; tiny cpu at the kernel\'s minimums', () => {
  assert.deepEqual(podCgroupConfig(spec([c('a')])), { qos: 'BestEffort', cpuRequestMilli: 0, cpuShares: 2 });
  assert.deepEqual(podCgroupConfig(spec([c('a')]), 1024), { qos: 'BestEffort', cpuRequestMilli: 0, cpuShares: 2, pidsLimit: 1024 });
  // 1m of cpu: 1 share rounds up to the minimum of 2; a 5m limit is a quota below 1 ms, raised to 1000.
  assert.deepEqual(podCgroupConfig(spec([c('a', { cpu: '1m', memory: '1Mi' }, { cpu: '5m', memory: '1Mi' })]), 0), {
    qos: 'Burstable', cpuRequestMilli: 1, cpuShares: 2, cpuQuota: 1_000, cpuPeriod: 100_000, memoryLimit: MI,
  });
});

test('pod cgroup names per QoS class (cgroupfs driver), and a uid that cannot be a path segment is refused', () => {
  assert.equal(podCgroupPath('Guaranteed', 'u-1'), 'podu-1');
  assert.equal(podCgroupPath('Burstable', 'u-1'), 'burstable/podu-1');
  assert.equal(podCgroupPath('BestEffort', 'u-1'), 'besteffort/podu-1');
  for (const bad of ['', '..', 'a/b', '.x']) assert.throws(() => podCgroupPath('Burstable', bad), /cannot name a cgroup/);
});

test('burstable tier shares: MilliCPUToShares of its pods\' summed requests, 2 with none', () => {
  assert.equal(burstableShares([]), 2);
  assert.equal(burstableShares([100, 250]), 358);
  assert.equal(burstableShares([300_000]), 262_144);
});

test('cgroup v1 (fake root): pod cgroups under the QoS tier below our own cgroup per hierarchy, containers under their pod', () => withTempDir('podcg-v1-', async (root) => {
  const self = '9:name=systemd:/sd\n8:pids:/\n4:memory:/agent\n1:cpu,cpuacct:/sys\n0::/\n';
  const layout = await CgroupLayout.read('portcullis', root, self);
  await updateQosCgroups(layout, [100, 250]);
  assert.equal(readFileSync(join(root, 'cpu/sys/portcullis/besteffort/cpu.shares'), 'utf8'), '2');
  assert.equal(readFileSync(join(root, 'cpu/sys/portcullis/burstable/cpu.shares'), 'utf8'), '358');

  const rel = podCgroupPath('Burstable', 'u1');
  await applyCgroupConfig(layout, rel, { cpuShares: 102, cpuQuota: 20_000, cpuPeriod: 100_000, memoryLimit: 200 * MI, pidsLimit: 100 });
  assert.equal(readFileSync(join(root, 'cpu/sys/portcullis/burstable/podu1/cpu.shares'), 'utf8'), '102');
  assert.equal(readFileSync(join(root, 'cpu/sys/portcullis/burstable/podu1/cpu.cfs_period_us'), 'utf8'), '100000');
  assert.equal(readFileSync(join(root, 'cpu/sys/portcullis/burstable/podu1/cpu.cfs_quota_us'), 'utf8'), '20000');
  assert.equal(readFileSync(join(root, 'memory/agent/portcullis/burstable/podu1/memory.limit_in_bytes'), 'utf8'), String(200 * MI));
  assert.equal(readFileSync(join(root, 'pids/portcullis/burstable/podu1/pids.max'), 'utf8'), '100');

  assert.deepEqual(layout.placement(rel, 'c1'), { cgroupsPath: 'portcullis/burstable/podu1/c1', memcg: `${root}/memory/agent/portcullis/burstable/podu1/c1` });
  // A sandbox from before pod cgroups: flat under the parent, as the runtime always placed them.
  assert.deepEqual(layout.placement('', 'c1'), { cgroupsPath: 'portcullis/c1', memcg: `${root}/memory/agent/portcullis/c1` });
  assert.deepEqual(layout.statsPaths(rel), { cpuacct: '/sys/portcullis/burstable/podu1', memory: '/agent/portcullis/burstable/podu1' });

  // Removal: the processes left in it (a container's cgroup below, in any hierarchy) are killed, then every hierarchy's directory goes.
  mkdirSync(join(root, 'systemd/sd/portcullis/burstable/podu1/c1'), { recursive: true });
  writeFileSync(join(root, 'systemd/sd/portcullis/burstable/podu1/c1/cgroup.procs'), '4242\n');
  const killed: number[] = [];
  await removeCgroup(layout, rel, {
    kill: (pid) => {
      killed.push(pid);
      writeFileSync(join(root, 'systemd/sd/portcullis/burstable/podu1/c1/cgroup.procs'), '');
    },
    rmdir: (d) => rm(d, { recursive: true }),
    sleep: async () => undefined,
  });
  assert.deepEqual(killed, [4242]);
  for (const h of ['cpu/sys', 'memory/agent', 'pids', 'systemd/sd']) assert.ok(!existsSync(join(root, h, 'portcullis/burstable/podu1')), h);
  assert.ok(existsSync(join(root, 'cpu/sys/portcullis/burstable/cpu.shares')), 'the tier stays');
  await assert.rejects(removeCgroup(layout, ''), /refusing/);
}));

test('cgroup v1: a limit asked for with no hierarchy for it is refused', () => withTempDir('podcg-v1n-', async (root) => {
  const layout = await CgroupLayout.read('portcullis', root, '4:memory:/\n1:cpu,cpuacct:/\n');
  await assert.rejects(applyCgroupConfig(layout, 'podu', { cpuShares: 2, pidsLimit: 10 }), /no pids cgroup hierarchy/);
}));

test('cgroup v2 (fake root): controllers delegated at each level, cpu.weight from shares, cpu.max, memory.max, pids.max', () => withTempDir('podcg-v2-', async (root) => {
  writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
  mkdirSync(join(root, 'portcullis'));
  writeFileSync(join(root, 'portcullis/cgroup.controllers'), 'cpu memory pids\n');
  const layout = await CgroupLayout.read('portcullis', root, '0::/agent\n');
  await updateQosCgroups(layout, []);
  // 2 shares is weight 1 (runc's conversion), for both tiers with no Burstable pod.
  assert.equal(readFileSync(join(root, 'portcullis/besteffort/cpu.weight'), 'utf8'), '1');
  assert.equal(readFileSync(join(root, 'portcullis/burstable/cpu.weight'), 'utf8'), '1');
  // Delegated from the root down (the root's as runc writes it for a container's ancestors).
  assert.equal(readFileSync(join(root, 'cgroup.subtree_control'), 'utf8'), '+cpu +memory +pids');
  assert.equal(readFileSync(join(root, 'portcullis/cgroup.subtree_control'), 'utf8'), '+cpu +memory +pids');

  writeFileSync(join(root, 'portcullis/burstable/cgroup.controllers'), 'cpu memory pids\n');
  const rel = podCgroupPath('Burstable', 'u2');
  await applyCgroupConfig(layout, rel, { cpuShares: 1024, cpuQuota: 50_000, cpuPeriod: 100_000, memoryLimit: 64 * MI, pidsLimit: 50 });
  const dir = join(root, 'portcullis/burstable/podu2');
  assert.equal(readFileSync(join(root, 'portcullis/burstable/cgroup.subtree_control'), 'utf8'), '+cpu +memory +pids');
  assert.equal(readFileSync(join(dir, 'cpu.weight'), 'utf8'), '39');
  assert.equal(readFileSync(join(dir, 'cpu.max'), 'utf8'), '50000 100000');
  assert.equal(readFileSync(join(dir, 'memory.max'), 'utf8'), String(64 * MI));
  assert.equal(readFileSync(join(dir, 'pids.max'), 'utf8'), '50');
  assert.deepEqual(layout.placement(rel, 'c9'), { cgroupsPath: '/portcullis/burstable/podu2/c9', memcg: `${dir}/c9` });
  assert.deepEqual(layout.statsPaths(rel), { unified: '/portcullis/burstable/podu2' });
  assert.deepEqual(layout.allDirs(rel), [dir]);
  await removeCgroup(layout, rel, { rmdir: (d) => rm(d, { recursive: true }), sleep: async () => undefined });
  assert.ok(!existsSync(dir));
}));
