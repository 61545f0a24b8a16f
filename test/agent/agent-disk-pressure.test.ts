/**
 * Node disk pressure through a real API server (fake runtime): an agent whose evictionHard
 * threshold is met (nodefs.available below 1Ei: always, on any disk) reports DiskPressure=True with
 * upstream's reason and message, the node lifecycle controller taints the Node
 * node.kubernetes.io/disk-pressure:NoSchedule (TaintNodesByCondition), and a new pod bound to the
 * node is refused by the agent's admission (Failed, reason Evicted, "The node had condition:
 * [DiskPressure]."); an agent with the defaults on this disk reports no pressure (skipped if the
 * disk really is that full).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resources } from '../../src/cluster/client/resources.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';
import { startAgentCluster, eventually, type AgentCluster } from './agent-helpers.ts';
import type { FakeRuntime } from '../../src/cluster/agent/runtime/fake.ts';

let ac: AgentCluster;

before(async () => {
  ac = await startAgentCluster(['node-lifecycle-controller']);
  await ac.start('node-full', { evictionHard: { 'nodefs.available': '1Ei' }, evictionMonitoringMs: 100, statusUpdateMs: 100 });
});
after(() => ac.close());

const condition = (node: K8sObject, type: string) => (node.status?.conditions ?? []).find((c: { type: string }) => c.type === type);

test('a node under disk pressure says so, is tainted NoSchedule, and refuses new pods', async () => {
  const node = await eventually(async () => {
    const n = await ac.admin.get<K8sObject>(resources.nodes, '', 'node-full');
    return condition(n, 'DiskPressure')?.status === 'True' && n;
  }, 'DiskPressure=True');
  const c = condition(node, 'DiskPressure');
  assert.equal(c.reason, 'KubeletHasDiskPressure');
  assert.equal(c.message, 'kubelet has disk pressure');
  assert.equal(condition(node, 'Ready')?.status, 'True');
  await eventually(async () => {
    const n = await ac.admin.get<K8sObject>(resources.nodes, '', 'node-full');
    return (n.spec?.taints ?? []).some((t: { key: string; effect: string }) => t.key === 'node.kubernetes.io/disk-pressure' && t.effect === 'NoSchedule');
  }, 'the disk-pressure taint');
  await ac.admin.create(resources.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'late' }, spec: { nodeName: 'node-full', containers: [{ name: 'c', image: 'example.test/app:1' }] } });
  const pod = await eventually(async () => {
    const p = await ac.admin.get<K8sObject>(resources.pods, 'default', 'late');
    return p.status?.phase === 'Failed' && p;
  }, 'the pod is rejected');
  assert.equal(pod.status.reason, 'Evicted');
  assert.equal(pod.status.message, 'Pod was rejected: The node had condition: [DiskPressure]. ');
});

test('with the default thresholds a disk with room reports no disk pressure', async (t) => {
  const st = statfsSync(tmpdir());
  if (st.bavail / st.blocks < 0.2 || st.ffree / st.files < 0.1) return t.skip('this disk is itself near the default thresholds');
  await ac.start('node-roomy', { evictionMonitoringMs: 100, statusUpdateMs: 100 });
  // Several eviction passes and status syncs later, still False.
  await new Promise((r) => setTimeout(r, 1000));
  const n = await ac.admin.get<K8sObject>(resources.nodes, '', 'node-roomy');
  assert.equal(condition(n, 'DiskPressure')?.status, 'False');
  assert.equal(condition(n, 'DiskPressure')?.reason, 'KubeletHasNoDiskPressure');
});

test('a running pod is evicted when the disk fills (images first, then the pod, with DisruptionTarget); the condition clears after the transition period', async () => {
  // A 100 GiB disk whose free space the test sets.
  let freePct = 50;
  const stats = async () => ({ bsize: 4096, blocks: 25 * 1024 * 1024, bavail: Math.trunc((25 * 1024 * 1024 * freePct) / 100), files: 1_000_000, ffree: 500_000 });
  await ac.start('node-fills', { statfs: stats, evictionMonitoringMs: 100, statusUpdateMs: 100, evictionPressureTransitionMs: 1500 });
  await ac.admin.create(resources.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'writer' }, spec: { nodeName: 'node-fills', containers: [{ name: 'c', image: 'example.test/app:1' }] } });
  await eventually(async () => (await ac.admin.get<K8sObject>(resources.pods, 'default', 'writer')).status?.phase === 'Running', 'the pod runs');
  freePct = 5;
  const pod = await eventually(async () => {
    const p = await ac.admin.get<K8sObject>(resources.pods, 'default', 'writer');
    return p.status?.phase === 'Failed' && p;
  }, 'the pod is evicted');
  assert.equal(pod.status.reason, 'Evicted');
  assert.equal(pod.status.message, 'The node was low on resource: ephemeral-storage. Threshold quantity: 10Gi, available: 5Gi. ');
  const disruption = (pod.status.conditions ?? []).find((c: { type: string }) => c.type === 'DisruptionTarget');
  assert.deepEqual([disruption?.status, disruption?.reason, disruption?.message], ['True', 'TerminationByKubelet', pod.status.message]);
  const events = await ac.admin.list<K8sObject>(resources.events, 'default');
  assert.ok(events.items.some((e) => e.reason === 'EvictionThresholdMet' && e.message === 'Attempting to reclaim ephemeral-storage' && e.involvedObject?.kind === 'Node'), 'EvictionThresholdMet on the Node');
  await eventually(async () => condition(await ac.admin.get<K8sObject>(resources.nodes, '', 'node-fills'), 'DiskPressure')?.status === 'True', 'DiskPressure=True');
  // Room again: DiskPressure goes back to False once the transition period has passed.
  freePct = 50;
  await eventually(async () => condition(await ac.admin.get<K8sObject>(resources.nodes, '', 'node-fills'), 'DiskPressure')?.status === 'False', 'DiskPressure=False again');
  const nodeEvents = (await ac.admin.list<K8sObject>(resources.events, 'default')).items.filter((e) => e.involvedObject?.kind === 'Node' && e.involvedObject?.name === 'node-fills');
  await eventually(async () => {
    const reasons = (await ac.admin.list<K8sObject>(resources.events, 'default')).items.filter((e) => e.involvedObject?.name === 'node-fills').map((e) => `${e.type} ${e.reason} ${e.message}`);
    return reasons.includes('Normal NodeHasDiskPressure Node node-fills status is now: NodeHasDiskPressure') && reasons.includes('Normal NodeHasNoDiskPressure Node node-fills status is now: NodeHasNoDiskPressure');
  }, `NodeHasDiskPressure and NodeHasNoDiskPressure events (had ${nodeEvents.length} node events)`);
});

test("under disk pressure a finished pod's containers are removed first (upstream's DeleteAllUnusedContainers), so what they took is freed and the running pod stays", async () => {
  let runtime!: FakeRuntime;
  // A 100 GiB disk that only the finished pod's leftover containers fill (its writable layers: 95%).
  const leftovers = () => runtime.list().then(({ containers, sandboxes }) => [...containers, ...sandboxes].filter((c) => c.pod.name === 'job').length);
  const stats = async () => {
    const full = runtime !== undefined && (await leftovers()) > 0 && finished;
    return { bsize: 4096, blocks: 25 * 1024 * 1024, bavail: Math.trunc((25 * 1024 * 1024 * (full ? 5 : 50)) / 100), files: 1_000_000, ffree: 500_000 };
  };
  let finished = false;
  ({ runtime } = await ac.start('node-leftovers', {
    statfs: stats, evictionMonitoringMs: 100, statusUpdateMs: 100, evictionPressureTransitionMs: 500,
    fake: { program: (cfg) => (cfg.container.command?.[0] === 'exit0' ? { exitAfterMs: 50, exitCode: 0 } : {}) },
  }));
  const pod = (name: string, command: string[], restartPolicy: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: 'node-leftovers', restartPolicy, containers: [{ name: 'c', image: 'example.test/app:1', command }] } });
  await ac.admin.create(resources.pods, 'default', pod('server', ['serve'], 'Always'));
  await ac.admin.create(resources.pods, 'default', pod('job', ['exit0'], 'Never'));
  await eventually(async () => (await ac.admin.get<K8sObject>(resources.pods, 'default', 'job')).status?.phase === 'Succeeded', 'the job pod succeeds');
  await eventually(async () => (await ac.admin.get<K8sObject>(resources.pods, 'default', 'server')).status?.phase === 'Running', 'the server runs');
  assert.ok((await leftovers()) > 0, 'a finished pod keeps its containers until reclaimed');
  finished = true;
  await eventually(async () => (await leftovers()) === 0, "the finished pod's containers and sandbox are removed");
  // Reclaim sufficed: nothing running was evicted, and the finished pod is still there, Succeeded.
  await new Promise((r) => setTimeout(r, 500));
  assert.equal((await ac.admin.get<K8sObject>(resources.pods, 'default', 'server')).status?.phase, 'Running');
  assert.equal((await ac.admin.get<K8sObject>(resources.pods, 'default', 'job')).status?.phase, 'Succeeded');
});
