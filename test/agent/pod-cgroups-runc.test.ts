/**
 * Per-QoS and per-pod cgroups on the real runtime (root, runc, busybox-static), under a cgroup
 * parent of this file's own: a pod's containers in <parent>/<qos>/pod<uid>/, the pod cgroup limited
 * as ResourceConfigForPod says, the QoS tiers' shares, removal with the pod's last sandbox (leftover
 * processes killed first), and a sandbox from before pod cgroups (flat under the parent) still
 * managed by a new runtime instance, as after an agent restart. Skipped without root/runc/busybox,
 * failed under PORTCULLIS_REQUIRE_ALL=1.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Container, PodSpec } from 'kubernetes-types/core/v1.js';
import { RuncRuntime } from '../../src/cluster/agent/runtime/runc.ts';
import { busyboxRootfs } from '../../src/cluster/agent/runtime/busybox-rootfs.ts';
import { CgroupLayout, removeCgroup } from '../../src/cluster/agent/runtime/pod-cgroups.ts';
import type { ContainerStatus, ImageInfo, PodRef, SandboxStatus } from '../../src/cluster/agent/runtime/types.ts';
import { requireRunc } from '../helpers/real-parts.ts';
import { removeRuncState } from './runc-cleanup.ts';
import { removeCgroupParent } from './runc-busybox.ts';

const skip = requireRunc('pod and QoS cgroups on runc');
const PARENT = `portcullis-podcg-test-${process.pid}`;
const MI = 1024 * 1024;

describe('pod and QoS cgroups (runc)', { skip }, () => {
  let root = '';
  let rt: RuncRuntime;
  let image: ImageInfo;
  let layout: CgroupLayout;
  const runtimes: RuncRuntime[] = [];

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'portcullis-podcg-'));
    image = await busyboxRootfs(join(root, 'image'));
    rt = new RuncRuntime({ stateRoot: join(root, 'state'), cgroupParent: PARENT, startTimeoutMs: 20_000 });
    runtimes.push(rt);
    layout = await CgroupLayout.read(PARENT);
  });

  after(async () => {
    await removeRuncState(root, runtimes).catch(() => undefined);
    removeCgroupParent(PARENT);
  });

  const v1 = () => !layout.unified;
  const read = (controller: 'cpu' | 'memory' | 'pids', rel: string, v1File: string, v2File: string) => readFileSync(join(layout.dir(controller, rel), v1() ? v1File : v2File), 'utf8').trim();
  const shares = (rel: string) => read('cpu', rel, 'cpu.shares', 'cpu.weight');
  const memoryLimit = (rel: string) => read('memory', rel, 'memory.limit_in_bytes', 'memory.max');
  /** The container process's memory cgroup, as the kernel says (v1 memory line, v2 the unified one). */
  const memoryCgroupOf = (pid: number) => {
    const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
    return (v1() ? lines.find((l) => /^\d+:([^:]*,)?memory(,[^:]*)?:/.test(l)) : lines.find((l) => l.startsWith('0::')))?.replace(/^\d+:[^:]*:/, '');
  };

  async function start(pod: PodRef, spec: PodSpec, runtime = rt): Promise<{ sandbox: SandboxStatus; containers: ContainerStatus[] }> {
    const sandbox = await runtime.createSandbox({ pod, spec });
    const containers: ContainerStatus[] = [];
    for (const container of spec.containers) {
      const c = await runtime.createContainer(sandbox.id, { pod, podSpec: spec, container, attempt: 0, image, env: [], mounts: [] });
      await runtime.startContainer(c.id);
      containers.push((await runtime.containerStatus(c.id))!);
    }
    return { sandbox, containers };
  }

  const sleeper = (name: string, resources: Container['resources'] = {}): Container => ({ name, image: 'bb', command: ['sleep', '3600'], resources });

  test('a Burstable pod: its containers under burstable/pod<uid>/, the pod cgroup limited to the sum of limits, the tier\'s shares its request', async () => {
    const pod = { uid: 'b0000000-0000-4000-8000-000000000001', namespace: 'default', name: 'burst' };
    const spec: PodSpec = { containers: [sleeper('a', { requests: { cpu: '100m', memory: '16Mi' }, limits: { cpu: '200m', memory: '32Mi' } }), sleeper('b', { requests: { cpu: '150m' }, limits: { cpu: '300m', memory: '16Mi' } })] };
    const { sandbox, containers } = await start(pod, spec);
    const rel = `burstable/pod${pod.uid}`;
    for (const c of containers) {
      assert.equal(c.state, 'running');
      assert.ok(memoryCgroupOf(c.pid!)?.endsWith(`/${PARENT}/${rel}/${c.id}`), `${c.name}: ${memoryCgroupOf(c.pid!)}`);
    }
    assert.equal(memoryLimit(rel), String(48 * MI));
    // The pod's usage is its cgroup's (its limit with it), also for a runtime that has read no meta yet.
    assert.equal((await rt.podUsageStats(pod.uid))?.memoryLimitBytes, 48 * MI);
    const fresh = new RuncRuntime({ stateRoot: join(root, 'state'), cgroupParent: PARENT });
    runtimes.push(fresh);
    assert.equal((await fresh.podUsageStats(pod.uid))?.memoryLimitBytes, 48 * MI);
    // 250m of requests: 256 shares (v2: weight 1 + 254 * 9999 / 262142 = 10).
    assert.equal(shares(rel), v1() ? '256' : '10');
    assert.equal(shares('burstable'), v1() ? '256' : '10');
    if (v1()) assert.equal(read('cpu', rel, 'cpu.cfs_quota_us', 'cpu.max'), '50000');
    else assert.equal(read('cpu', rel, 'cpu.max', 'cpu.max'), '50000 100000');

    // Resized in place (pod-resize.ts widens the pod cgroup first): its request of 250m becomes 450m,
    // its limits 1 cpu and 64Mi; the pod cgroup and the tier follow, also for a restarted runtime.
    const resized: PodSpec = { containers: [sleeper('a', { requests: { cpu: '300m', memory: '16Mi' }, limits: { cpu: '500m', memory: '48Mi' } }), sleeper('b', { requests: { cpu: '150m' }, limits: { cpu: '500m', memory: '16Mi' } })] };
    await rt.updatePodResources(sandbox.id, resized);
    assert.equal(memoryLimit(rel), String(64 * MI));
    assert.equal(shares(rel), v1() ? '460' : '18');
    assert.equal(shares('burstable'), v1() ? '460' : '18');
    const restarted = new RuncRuntime({ stateRoot: join(root, 'state'), cgroupParent: PARENT });
    runtimes.push(restarted);
    await restarted.list();
    assert.equal(shares('burstable'), v1() ? '460' : '18', 'a restarted runtime sums the resized request');

    // Stopped, it no longer counts in the tier; removed, its cgroup is gone from every hierarchy.
    await rt.stopSandbox(sandbox.id);
    assert.equal(shares('burstable'), v1() ? '2' : '1');
    for (const c of containers) await rt.removeContainer(c.id);
    await rt.removeSandbox(sandbox.id);
    for (const d of layout.allDirs(rel)) assert.ok(!existsSync(d), `${d} is removed`);
  });

  test('a BestEffort pod: besteffort/ and its pod cgroup at 2 shares, no memory limit of its own', async () => {
    const pod = { uid: 'be000000-0000-4000-8000-000000000002', namespace: 'default', name: 'be' };
    const { sandbox, containers } = await start(pod, { containers: [sleeper('a')] });
    const rel = `besteffort/pod${pod.uid}`;
    assert.ok(memoryCgroupOf(containers[0]!.pid!)?.endsWith(`/${PARENT}/${rel}/${containers[0]!.id}`));
    assert.equal(shares('besteffort'), v1() ? '2' : '1');
    assert.equal(shares(rel), v1() ? '2' : '1');
    assert.ok(Number(memoryLimit(rel)) > 2 ** 62 || memoryLimit(rel) === 'max', memoryLimit(rel));
    await rt.removeContainer(containers[0]!.id);
    await rt.removeSandbox(sandbox.id);
    for (const d of layout.allDirs(rel)) assert.ok(!existsSync(d), `${d} is removed`);
  });

  test('a Guaranteed pod sits in the parent itself: pod<uid>/ with its quota and memory; a process left in it is killed when it goes', async () => {
    const pod = { uid: 'aa000000-0000-4000-8000-000000000003', namespace: 'default', name: 'gu' };
    const { sandbox, containers } = await start(pod, { containers: [sleeper('a', { limits: { cpu: '500m', memory: '24Mi' } })] });
    const rel = `pod${pod.uid}`;
    assert.ok(memoryCgroupOf(containers[0]!.pid!)?.endsWith(`/${PARENT}/${rel}/${containers[0]!.id}`));
    assert.equal(memoryLimit(rel), String(24 * MI));
    assert.equal(shares(rel), v1() ? '512' : '20');
    // A process runc does not know, in the pod's cgroup (as one a container's runc state lost would be).
    const stray = spawn('sleep', ['3600'], { stdio: 'ignore' });
    const exited = new Promise<string | null>((r) => stray.once('exit', (_code, signal) => r(signal)));
    for (const c of v1() ? (['memory', 'cpu', 'pids'] as const) : (['memory'] as const)) writeFileSync(join(layout.dir(c, rel), 'cgroup.procs'), String(stray.pid));
    await rt.removeContainer(containers[0]!.id);
    await rt.removeSandbox(sandbox.id);
    assert.equal(await exited, 'SIGKILL');
    for (const d of layout.allDirs(rel)) assert.ok(!existsSync(d), `${d} is removed`);
  });

  test('a pod cgroup whose limit cannot be written fails the sandbox and is not left behind (cgroup v1: a quota over the parent\'s)', async (t) => {
    if (layout.unified) return t.skip('cgroup v1 only: v2 takes a child\'s cpu.max above its parent\'s');
    // A parent of its own: the kernel still counts the other tests' removed pod cgroups (their quotas) for a while.
    const parent = `${PARENT}-q`;
    const own = new RuncRuntime({ stateRoot: join(root, 'state-q'), cgroupParent: parent, startTimeoutMs: 20_000 });
    runtimes.push(own);
    const ownLayout = await CgroupLayout.read(parent);
    const pod = { uid: 'e0000000-0000-4000-8000-000000000005', namespace: 'default', name: 'over' };
    try {
      await own.list();
      // v1 refuses a child's CFS quota above its ancestors' (EINVAL): the parent gets 0.1 cpu.
      writeFileSync(join(ownLayout.dir('cpu'), 'cpu.cfs_quota_us'), '10000');
      await assert.rejects(own.createSandbox({ pod, spec: { containers: [sleeper('a', { requests: { cpu: '100m' }, limits: { cpu: '500m', memory: '16Mi' } })] } }), /cannot set up cgroup .*cpu\.cfs_quota_us/);
      for (const d of ownLayout.allDirs(`burstable/pod${pod.uid}`)) assert.ok(!existsSync(d), `${d} is removed`);
      // Counted in the tier while its cgroup was made (102 shares), not after.
      assert.equal(readFileSync(join(ownLayout.dir('cpu', 'burstable'), 'cpu.shares'), 'utf8').trim(), '2');
      assert.deepEqual((await own.list()).sandboxes, []);
    } finally {
      own.close();
      removeCgroupParent(parent);
    }
  });

  test('a sandbox from before pod cgroups keeps its containers flat under the parent, and a restarted runtime still runs, finds and removes them', async () => {
    const pod = { uid: 'f1a70000-0000-4000-8000-000000000004', namespace: 'default', name: 'flat' };
    const spec: PodSpec = { containers: [sleeper('old', { requests: { cpu: '100m' }, limits: { memory: '16Mi' } })] };
    const sandbox = await rt.createSandbox({ pod, spec });
    // What the agent before pod cgroups wrote: no podCgroup in the sandbox's meta, and no pod cgroup.
    const metaFile = join(root, 'state', 'sandboxes', sandbox.id, 'meta.json');
    const meta = JSON.parse(readFileSync(metaFile, 'utf8'));
    await removeCgroup(layout, meta.podCgroup.path);
    delete meta.podCgroup;
    writeFileSync(metaFile, JSON.stringify(meta));
    // The agent restarts: a new runtime on the same state.
    const restarted = new RuncRuntime({ stateRoot: join(root, 'state'), cgroupParent: PARENT, startTimeoutMs: 20_000 });
    runtimes.push(restarted);
    const c = await restarted.createContainer(sandbox.id, { pod, podSpec: spec, container: spec.containers[0]!, attempt: 0, image, env: [], mounts: [] });
    await restarted.startContainer(c.id);
    const running = (await restarted.containerStatus(c.id))!;
    assert.equal(running.state, 'running');
    assert.ok(memoryCgroupOf(running.pid!)?.endsWith(`/${PARENT}/${c.id}`), memoryCgroupOf(running.pid!));
    assert.ok(!layout.allDirs(`burstable/pod${pod.uid}`).some((d) => existsSync(d)), 'no pod cgroup is made for it');

    // Another restart: list() finds it, its usage is read, and the pods' total counts it.
    const again = new RuncRuntime({ stateRoot: join(root, 'state'), cgroupParent: PARENT, startTimeoutMs: 20_000 });
    runtimes.push(again);
    const listed = await again.list();
    assert.equal(listed.containers.find((x) => x.id === c.id)?.state, 'running');
    assert.equal(listed.sandboxes.find((x) => x.id === sandbox.id)?.state, 'ready');
    const usage = await again.usageStats(c.id);
    assert.ok(usage && usage.memoryLimitBytes === 16 * MI, JSON.stringify(usage));
    assert.equal(await again.podUsageStats(pod.uid), undefined, 'no pod cgroup: the callers sum its parts');
    const pods = await again.podsUsageStats();
    // CPU time, read after the container's: hierarchical and exact (memory usage is per-cpu batched, not comparable).
    assert.ok(pods && pods.usage.cpuUsageNanos >= usage.cpuUsageNanos, 'the parent counts the flat container');
    await again.stopContainer(c.id, 0);
    assert.equal((await again.containerStatus(c.id))?.state, 'exited');
    await again.removeContainer(c.id);
    await again.removeSandbox(sandbox.id);
    assert.equal((await again.list()).sandboxes.find((x) => x.id === sandbox.id), undefined);
    assert.ok(!layout.allDirs(c.id).some((d) => existsSync(d)), 'the flat container\'s cgroup is gone');
  });
});
