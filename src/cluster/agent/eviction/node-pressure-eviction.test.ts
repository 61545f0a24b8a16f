import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { NodePressureEviction, type NodePressureEvictionDeps } from './node-pressure-eviction.ts';
import { parseEvictionHard, type Observations, type Threshold } from './thresholds.ts';
import type { ContainerStatus, SandboxStatus } from '../runtime/types.ts';
import type { UsageStats } from '../runtime/cgroup-stats.ts';

const GI = 1024 ** 3;
const MI = 1024 ** 2;
const pod = (name: string, priority: number, requests?: Record<string, string>): Pod => ({
  metadata: { name, namespace: 'default', uid: `uid-${name}` },
  spec: { priority, containers: [{ name: 'c', image: 'x', resources: requests ? { requests } : {} }] },
  status: { phase: 'Running' },
});
const storage = (request: string) => ({ 'ephemeral-storage': request });

/** The worker has killed it: Failed/Evicted. */
const fail = (p: Pod) => Object.assign(p, { status: { phase: 'Failed', reason: 'Evicted' } });
const threshold = (spec: Record<string, string>): Threshold => parseEvictionHard(spec).thresholds[0]!;

/** The eviction's clock (the wait for an evicted pod's memory volumes). */
let clock = 0;

function setup(pods: Pod[], usage: Record<string, number>, reclaimFrees = false, memory: Record<string, number> = {}, processes: Record<string, number> = {}, memoryVolumes: Record<string, number> = {}) {
  const obs: Observations = { 'nodefs.available': { available: 5 * GI, capacity: 100 * GI } };
  const monitor = {
    thresholdsMet: [threshold({ 'nodefs.available': '10%' })] as Threshold[], unresolved: [threshold({ 'nodefs.available': '10%' })] as Threshold[], observations: obs, passes: 0,
    async pass() { this.passes++; return []; },
  };
  const events: string[] = [];
  const evicted: string[] = [];
  let reclaims = 0;
  // A sandbox for every pod but 'unstarted'; a running container c for each pod with memory figures, whose sandbox has stats too.
  const containers = Object.keys(memory).map((n) => ({ id: `c-${n}`, name: 'c', pod: { uid: `uid-${n}` }, state: 'running' }) as unknown as ContainerStatus);
  const sandboxes = pods.filter((p) => p.metadata!.name !== 'unstarted').map((p) => ({ id: `s-${p.metadata!.name}`, pod: { uid: p.metadata!.uid } }) as unknown as SandboxStatus);
  const stats = (ws: number, n?: string) => ({ cpuUsageNanos: 0, memoryWorkingSetBytes: ws, timestamp: new Date(0), processCount: n === undefined ? 1 : (processes[n] ?? 1) }) satisfies UsageStats;
  const sandboxStats = (n: string) => (memory[n] !== undefined ? stats(MI) : undefined);
  const deps: NodePressureEvictionDeps = {
    monitor,
    pods: () => pods,
    runtime: {
      list: async () => ({ sandboxes, containers }),
      usageStats: async (id) => (id.startsWith('c-') ? stats(memory[id.slice(2)]!, id.slice(2)) : id.startsWith('s-') ? sandboxStats(id.slice(2)) : undefined),
    },
    memoryVolumes: async (p) => memoryVolumes[p.metadata!.name!] ?? 0,
    now: () => clock,
    measure: async (p) => ({ volumes: new Map(), total: usage[p.metadata!.name!]!, containers: [{ name: 'c', bytes: usage[p.metadata!.name!]! }] }),
    reclaim: async () => {
      reclaims++;
      if (reclaimFrees) monitor.unresolved = [];
    },
    evict: (uid) => evicted.push(uid),
    warn: (reason, message) => events.push(`${reason} ${message}`),
    log: { info() {}, warn() {} },
  };
  return { e: new NodePressureEviction(deps), deps, monitor, events, evicted, reclaims: () => reclaims };
}

test('no threshold met: nothing reclaimed, nothing evicted', async () => {
  const s = setup([pod('a', 0)], { a: GI });
  s.monitor.thresholdsMet = [];
  assert.equal(await s.e.pass(), undefined);
  assert.equal(s.reclaims(), 0);
  assert.deepEqual(s.events, []);
});

test('images are reclaimed first; when that is enough no pod goes', async () => {
  const s = setup([pod('a', 0)], { a: GI }, true);
  assert.equal(await s.e.pass(), '');
  assert.equal(s.reclaims(), 1);
  assert.equal(s.monitor.passes, 1);
  assert.deepEqual(s.events, ['EvictionThresholdMet Attempting to reclaim ephemeral-storage']);
  assert.deepEqual(s.evicted, []);
});

test('one pod per pass, ranked as upstream: over its request first, then lower priority, then use over request; critical pods never', async () => {
  const pods = [pod('within', 0, storage('2Gi')), pod('greedy-high', 10, storage('1Gi')), pod('greedy-low', 0, storage('1Gi')), pod('critical', 2_000_000_000)];
  const s = setup(pods, { within: GI, 'greedy-high': 5 * GI, 'greedy-low': 3 * GI, critical: 10 * GI });
  assert.equal(await s.e.pass(), 'uid-greedy-low');
  assert.equal(s.e.verdict('uid-greedy-low'), 'The node was low on resource: ephemeral-storage. Threshold quantity: 10Gi, available: 5Gi. Container c was using 3Gi, request is 1Gi, has larger consumption of ephemeral-storage. ');
  // Until the evicted pod has stopped, no second one is chosen.
  assert.equal(await s.e.pass(), undefined);
  fail(pods[2]!);
  assert.equal(await s.e.pass(), 'uid-greedy-high');
  fail(pods[1]!);
  assert.equal(await s.e.pass(), 'uid-within');
  // Within its request: no container line.
  assert.equal(s.e.verdict('uid-within'), 'The node was low on resource: ephemeral-storage. Threshold quantity: 10Gi, available: 5Gi. ');
  fail(pods[0]!);
  // Only the critical pod is left: nothing is evicted.
  assert.equal(await s.e.pass(), '');
  assert.deepEqual(s.evicted, ['uid-greedy-low', 'uid-greedy-high', 'uid-within']);
});

test('an inode threshold reclaims inodes, with the available inodes in decimal', async () => {
  const s = setup([pod('a', 0)], { a: GI });
  s.monitor.thresholdsMet = [threshold({ 'nodefs.inodesFree': '5%' })];
  s.monitor.observations['nodefs.inodesFree'] = { available: 1000, capacity: 100000 };
  assert.equal(await s.e.pass(), 'uid-a');
  assert.equal(s.e.verdict('uid-a'), 'The node was low on resource: inodes. Threshold quantity: 5000, available: 1k. ');
  assert.deepEqual(s.events, ['EvictionThresholdMet Attempting to reclaim inodes']);
});

test('memory before disk, no node-level reclaim; ranked by working set over the memory request (a pod without stats first), then priority', async () => {
  const pods = [pod('guaranteed', 0, { memory: '1Gi' }), pod('hog', 100, { memory: '128M' }), pod('small', 0, { memory: '64Mi' }), pod('pending', 0), pod('unstarted', -5)];
  const s = setup(pods, {}, false, { guaranteed: 512 * MI, hog: 600 * MI, small: 65 * MI });
  s.monitor.thresholdsMet = [threshold({ 'nodefs.available': '10%' }), threshold({ 'memory.available': '100Mi' })];
  s.monitor.observations['memory.available'] = { available: 90 * MI, capacity: 8 * GI };
  // 'unstarted' never ran (not a candidate); 'pending' has a sandbox but no stats, so it goes first (upstream's comparators).
  assert.equal(await s.e.pass(), 'uid-pending');
  assert.equal(s.reclaims(), 0);
  assert.deepEqual(s.events, ['EvictionThresholdMet Attempting to reclaim memory']);
  assert.equal(s.e.verdict('uid-pending'), 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 90Mi. ');
  fail(pods[3]!);
  // Both hog and small exceed their requests; small has the lower priority.
  assert.equal(await s.e.pass(), 'uid-small');
  assert.equal(s.e.verdict('uid-small'), 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 90Mi. Container c was using 65Mi, request is 64Mi, has larger consumption of memory. ');
  fail(pods[2]!);
  assert.equal(await s.e.pass(), 'uid-hog');
  // The request as written (128M), the use in binary; the pause sandbox counts toward the pod, not the container line.
  assert.equal(s.e.verdict('uid-hog'), 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 90Mi. Container c was using 600Mi, request is 128M, has larger consumption of memory. ');
  fail(pods[1]!);
  assert.equal(await s.e.pass(), 'uid-guaranteed');
  assert.equal(s.e.verdict('uid-guaranteed'), 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 90Mi. ');
  fail(pods[0]!);
  assert.equal(await s.e.pass(), '');
});

test('memory: a pod counts at least what its memory-backed emptyDirs hold (written by a container no longer running), not also what its running writer holds of them', async () => {
  const pods = [pod('busy', 0), pod('writer', 0), pod('hider', 0), pod('late', 0)];
  // hider: an init container filled a 3 GiB tmpfs and exited, its container sleeps. writer: its running container holds its 400 MiB tmpfs.
  const volumes = { writer: 400 * MI, hider: 3 * GI };
  const s = setup(pods, {}, false, { busy: 800 * MI, writer: 500 * MI, hider: MI, late: 10 * MI }, {}, volumes);
  s.monitor.thresholdsMet = [threshold({ 'memory.available': '100Mi' })];
  s.monitor.observations['memory.available'] = { available: 90 * MI, capacity: 8 * GI };
  assert.equal(await s.e.pass(), 'uid-hider');
  fail(pods[2]!);
  // Failed, but its tmpfs is still mounted: what evicting it frees is not free yet (waitForPodsCleanup).
  assert.equal(await s.e.pass(), undefined);
  volumes.hider = 0;
  // Unmounted since: this pass's observations may predate that, so the next one acts.
  assert.equal(await s.e.pass(), undefined);
  // 801 MiB before max(501 MiB, 400 MiB): the writer's tmpfs is in its working set already.
  assert.equal(await s.e.pass(), 'uid-busy');
  fail(pods[0]!);
  assert.equal(await s.e.pass(), 'uid-writer');
  fail(pods[1]!);
  // The writer's tmpfs outlives its eviction: it holds the next one back for podCleanupTimeout (30 s) at most.
  clock = 1_000;
  assert.equal(await s.e.pass(), undefined);
  clock = 30_999;
  assert.equal(await s.e.pass(), undefined);
  clock = 31_000;
  assert.equal(await s.e.pass(), 'uid-late');
});

test('memory: a pod with a cgroup of its own is ranked by that cgroup\'s working set (what exited containers left included), not its running parts\'', async () => {
  const pods = [pod('parts', 0), pod('whole', 0)];
  const s = setup(pods, {}, false, { parts: 300 * MI, whole: 10 * MI });
  // 'whole' has a pod cgroup: 700 MiB there (an exited init container's page cache and shmem), 11 MiB in its running parts.
  s.deps.runtime.podUsageStats = async (uid) => (uid === 'uid-whole' ? { cpuUsageNanos: 0, memoryWorkingSetBytes: 700 * MI, timestamp: new Date(0) } : undefined);
  s.monitor.thresholdsMet = [threshold({ 'memory.available': '100Mi' })];
  s.monitor.observations['memory.available'] = { available: 90 * MI, capacity: 8 * GI };
  assert.equal(await s.e.pass(), 'uid-whole');
  fail(pods[1]!);
  assert.equal(await s.e.pass(), 'uid-parts');
});

test('pid pressure: lowest priority first, then the most processes; pids in decimal, a percentage threshold in binary', async () => {
  const pods = [pod('high', 10), pod('few', 1), pod('many', 1)];
  const s = setup(pods, {}, false, { high: MI, few: MI, many: MI }, { high: 900, few: 3, many: 500 });
  s.monitor.thresholdsMet = [threshold({ 'pid.available': '10%' })];
  s.monitor.observations['pid.available'] = { available: 3000, capacity: 4194304 };
  assert.equal(await s.e.pass(), 'uid-many');
  assert.equal(s.e.verdict('uid-many'), 'The node was low on resource: pids. Threshold quantity: 419430, available: 3k. ');
  fail(pods[2]!);
  assert.equal(await s.e.pass(), 'uid-few');
  fail(pods[1]!);
  assert.equal(await s.e.pass(), 'uid-high');
  assert.equal(s.reclaims(), 0);
});
