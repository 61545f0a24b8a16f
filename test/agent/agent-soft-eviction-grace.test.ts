/**
 * --eviction-max-pod-grace-period through a real API server (fake runtime, the node's memory
 * injected): only a soft memory.available threshold is met, so each evicted pod's containers are
 * stopped with min(the flag, its own terminationGracePeriodSeconds), as the kubelet's soft evictions
 * (2 s at least, killContainer's minimum); a hard threshold's eviction keeps the 2 s minimum.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../../src/cluster/client/resources.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';
import type { FakeRuntime } from '../../src/cluster/agent/runtime/fake.ts';
import { startAgentCluster, eventually, type AgentCluster } from './agent-helpers.ts';

const Mi = 1024 * 1024;
let ac: AgentCluster;
const runtimes: Record<string, FakeRuntime> = {};

before(async () => {
  ac = await startAgentCluster();
  // 150Mi of 8Gi available: under the soft 200Mi threshold, not the hard default 100Mi.
  const lowMemory = { nodeMemory: async () => ({ capacity: 8192 * Mi, workingSet: 8042 * Mi }), evictionMonitoringMs: 100, statusUpdateMs: 100 };
  runtimes.soft = (await ac.start('node-soft', { ...lowMemory, evictionSoft: { 'memory.available': '200Mi' }, evictionSoftGracePeriod: { 'memory.available': '1s' }, evictionMaxPodGracePeriodSeconds: 5 })).runtime;
  runtimes.hard = (await ac.start('node-hard', { ...lowMemory, evictionHard: { 'memory.available': '200Mi' }, evictionMaxPodGracePeriodSeconds: 5 })).runtime;
});
after(() => ac.close());

const pod = (name: string, node: string, grace: number) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name },
  spec: { nodeName: node, terminationGracePeriodSeconds: grace, containers: [{ name: 'c', image: 'example.test/app:1', resources: { requests: { memory: '10Mi' } } }] },
});

/** The pod once Failed/Evicted, and the grace periods its container was stopped with. */
async function evicted(name: string, runtime: FakeRuntime): Promise<number[]> {
  const p = await eventually(async () => {
    const x = await ac.admin.get<K8sObject>(resources.pods, 'default', name);
    return x.status?.phase === 'Failed' && x;
  }, `${name} evicted`);
  assert.equal(p.status.reason, 'Evicted');
  const id = String(p.status.containerStatuses[0].containerID).replace(/^fake:\/\//, '');
  return runtime.calls.filter((c) => c.op === 'stop' && c.id === id).map((c) => c.grace!);
}

test('a soft threshold evicts with min(--eviction-max-pod-grace-period, the pod\'s own grace); a hard one with the minimum', async () => {
  await ac.admin.create(resources.pods, 'default', pod('long-grace', 'node-soft', 20));
  await ac.admin.create(resources.pods, 'default', pod('short-grace', 'node-soft', 3));
  await ac.admin.create(resources.pods, 'default', pod('hard-evicted', 'node-hard', 20));
  assert.deepEqual(await evicted('long-grace', runtimes.soft!), [5], 'capped by the flag');
  assert.deepEqual(await evicted('short-grace', runtimes.soft!), [3], 'its own, shorter');
  assert.deepEqual(await evicted('hard-evicted', runtimes.hard!), [2], 'hard: at once (1 s, raised to the 2 s minimum)');
});
