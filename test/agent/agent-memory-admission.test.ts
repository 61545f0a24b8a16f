/**
 * MemoryPressure through a real API server (fake runtime, the node's memory injected): the agent
 * reports the condition, a BestEffort pod is refused ("The node had condition: [MemoryPressure]. ")
 * while a Burstable one is admitted, as upstream's eviction admit handler; being the only pod
 * running, the Burstable one is then evicted to reclaim memory (no stats of its own: ranked first).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../../src/cluster/client/resources.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';
import { startAgentCluster, eventually, type AgentCluster } from './agent-helpers.ts';

const Mi = 1024 * 1024;
let ac: AgentCluster;

before(async () => {
  ac = await startAgentCluster();
  // 50Mi of 8Gi available: under the default memory.available<100Mi.
  await ac.start('node-low', { nodeMemory: async () => ({ capacity: 8192 * Mi, workingSet: 8142 * Mi }), evictionMonitoringMs: 100, statusUpdateMs: 100 });
});
after(() => ac.close());

const pod = (name: string, requests?: Record<string, string>) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name },
  spec: { nodeName: 'node-low', containers: [{ name: 'c', image: 'example.test/app:1', ...(requests ? { resources: { requests } } : {}) }] },
});

test('under MemoryPressure a BestEffort pod is refused, a Burstable one admitted (then evicted for memory)', async () => {
  const n = await eventually(async () => {
    const x = await ac.admin.get<K8sObject>(resources.nodes, '', 'node-low');
    return (x.status?.conditions ?? []).find((c: { type: string; status: string }) => c.type === 'MemoryPressure' && c.status === 'True');
  }, 'MemoryPressure=True');
  assert.equal(n.reason, 'KubeletHasInsufficientMemory');
  await ac.admin.create(resources.pods, 'default', pod('best-effort'));
  await ac.admin.create(resources.pods, 'default', pod('burstable', { memory: '10Mi' }));
  const failed = (name: string) => eventually(async () => {
    const p = await ac.admin.get<K8sObject>(resources.pods, 'default', name);
    return p.status?.phase === 'Failed' && p;
  }, `${name} fails`);
  const be = await failed('best-effort');
  assert.equal(be.status.reason, 'Evicted');
  assert.equal(be.status.message, 'Pod was rejected: The node had condition: [MemoryPressure]. ');
  const bu = await failed('burstable');
  assert.equal(bu.status.reason, 'Evicted');
  assert.equal(bu.status.message, 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 50Mi. ');
  assert.equal((bu.status.conditions ?? []).find((c: K8sObject) => c.type === 'DisruptionTarget')?.reason, 'TerminationByKubelet');
});
