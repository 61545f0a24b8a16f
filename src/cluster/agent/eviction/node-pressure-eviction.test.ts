import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { NodePressureEviction, type NodePressureEvictionDeps } from './node-pressure-eviction.ts';
import type { DiskThreshold, Observation, DiskSignal } from './disk-pressure.ts';

const GI = 1024 ** 3;
const pod = (name: string, priority: number, request?: string): Pod => ({
  metadata: { name, namespace: 'default', uid: `uid-${name}` },
  spec: { priority, containers: [{ name: 'c', image: 'x', resources: request ? { requests: { 'ephemeral-storage': request } } : {} }] },
  status: { phase: 'Running' },
});

/** The worker has killed it: Failed/Evicted. */
const fail = (p: Pod) => Object.assign(p, { status: { phase: 'Failed', reason: 'Evicted' } });

function setup(pods: Pod[], usage: Record<string, number>, reclaimFrees = false) {
  const nodefs: DiskThreshold = { signal: 'nodefs.available', fraction: 0.1 };
  const obs = { 'nodefs.available': { available: 5 * GI, capacity: 100 * GI } } as Record<DiskSignal, Observation>;
  const monitor = { thresholdsMet: [nodefs] as DiskThreshold[], observations: obs, passes: 0, async pass() { this.passes++; return true; } };
  const events: string[] = [];
  const evicted: string[] = [];
  let reclaims = 0;
  const deps: NodePressureEvictionDeps = {
    monitor,
    pods: () => pods,
    runtime: { list: async () => ({ sandboxes: [], containers: [] }) },
    measure: async (p) => ({ volumes: new Map(), total: usage[p.metadata!.name!]!, containers: [{ name: 'c', bytes: usage[p.metadata!.name!]! }] }),
    reclaim: async () => {
      reclaims++;
      if (reclaimFrees) monitor.thresholdsMet = [];
    },
    evict: (uid) => evicted.push(uid),
    warn: (reason, message) => events.push(`${reason} ${message}`),
    log: { info() {}, warn() {} },
  };
  return { e: new NodePressureEviction(deps), monitor, events, evicted, reclaims: () => reclaims };
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
  assert.deepEqual(s.events, ['EvictionThresholdMet Attempting to reclaim ephemeral-storage']);
  assert.deepEqual(s.evicted, []);
});

test('one pod per pass, ranked as upstream: over its request first, then lower priority, then use over request; critical pods never', async () => {
  const pods = [pod('within', 0, '2Gi'), pod('greedy-high', 10, '1Gi'), pod('greedy-low', 0, '1Gi'), pod('critical', 2_000_000_000)];
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
  s.monitor.thresholdsMet = [{ signal: 'nodefs.inodesFree', fraction: 0.05 }];
  s.monitor.observations['nodefs.inodesFree'] = { available: 1000, capacity: 100000 };
  assert.equal(await s.e.pass(), 'uid-a');
  assert.equal(s.e.verdict('uid-a'), 'The node was low on resource: inodes. Threshold quantity: 5000, available: 1k. ');
  assert.deepEqual(s.events, ['EvictionThresholdMet Attempting to reclaim inodes']);
});
