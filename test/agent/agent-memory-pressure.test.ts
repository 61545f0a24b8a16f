/**
 * Memory pressure on the real runtime (runc, a busybox image): a node whose memory capacity is
 * 250Mi (its pods' cgroup is measured against it: allocatableMemory.available, which the kubelet
 * adds beside the default memory.available<100Mi) runs a pod that takes 200 MB (191 MiB) of
 * anonymous memory, so well under 100Mi is left (150 MB, 143 MiB, left about 105Mi: the test
 * passed only when more was counted). The agent reports MemoryPressure=True (KubeletHasInsufficientMemory), is tainted
 * node.kubernetes.io/memory-pressure:NoSchedule, sends EvictionThresholdMet, and evicts the hog,
 * not the quiet pod beside it (both are over their requests; the hog by more): Failed, Evicted,
 * upstream's message naming the container, its use and its request, DisruptionTarget
 * TerminationByKubelet. With the hog's memory freed the condition clears after the transition
 * period. Needs root, runc and busybox-static: skipped without them, failed under
 * PORTCULLIS_REQUIRE_ALL=1. The host's own memory is far from 100Mi here; only the small
 * capacity the node reports makes 191 MiB count.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../../src/cluster/client/resources.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';
import { requireRunc } from '../helpers/real-parts.ts';
import { mustParseQty } from '../../src/api/quantity.ts';
import { eventually, type AgentCluster } from './agent-helpers.ts';
import { BUSYBOX_IMAGE as IMAGE, startSmallMemoryNode, stopRuncAgent, type RuncNode } from './runc-busybox.ts';

const skip = requireRunc('memory pressure eviction on runc');
const NODE = 'node-mem';

describe('memory pressure on runc', { skip }, () => {
  let ac: AgentCluster;
  let node: RuncNode;

  before(async () => {
    // The condition held 4 s rather than 5 min.
    ({ ac, node } = await startSmallMemoryNode(NODE, { evictionPressureTransitionMs: 4000 }));
  });

  after(() => stopRuncAgent(node, ac));

  const condition = (n: K8sObject, type: string) => (n.status?.conditions ?? []).find((c: { type: string }) => c.type === type);
  const pod = (name: string, command: string[], request?: string) => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name },
    spec: {
      nodeName: NODE, terminationGracePeriodSeconds: 30,
      containers: [{ name, image: IMAGE, imagePullPolicy: 'IfNotPresent', command, ...(request ? { resources: { requests: { memory: request } } } : {}) }],
    },
  });

  test('a pod taking 191 MiB of a 250Mi node is evicted with upstream message; MemoryPressure, taint and event come and go', async () => {
    await ac.admin.create(resources.pods, 'default', pod('quiet', ['sleep', '3600']));
    await eventually(async () => (await ac.admin.get<K8sObject>(resources.pods, 'default', 'quiet')).status?.phase === 'Running', 'the quiet pod runs', 600, 100);
    // busybox awk holds a 200 MB string (touched, so resident) and then sleeps.
    await ac.admin.create(resources.pods, 'default', pod('hog', ['awk', 'BEGIN { s = sprintf("%200000000s", ""); system("sleep 3600") }'], '10Mi'));
    const n = await eventually(async () => {
      const x = await ac.admin.get<K8sObject>(resources.nodes, '', NODE);
      return condition(x, 'MemoryPressure')?.status === 'True' && x;
    }, 'MemoryPressure=True', 600, 100);
    assert.equal(condition(n, 'MemoryPressure').reason, 'KubeletHasInsufficientMemory');
    assert.equal(condition(n, 'MemoryPressure').message, 'kubelet has insufficient memory available');
    // The node lifecycle controller taints it while the condition holds (for the transition period after the hog is gone).
    const tainted = eventually(async () => {
      const x = await ac.admin.get<K8sObject>(resources.nodes, '', NODE);
      return (x.spec?.taints ?? []).some((t: { key: string; effect: string }) => t.key === 'node.kubernetes.io/memory-pressure' && t.effect === 'NoSchedule');
    }, 'the memory-pressure taint', 600, 100);
    const p = await eventually(async () => {
      const x = await ac.admin.get<K8sObject>(resources.pods, 'default', 'hog');
      return x.status?.phase === 'Failed' && x;
    }, 'the hog is evicted', 600, 100);
    assert.equal(p.status.reason, 'Evicted');
    const m = /^The node was low on resource: memory\. Threshold quantity: 100Mi, available: (\S+)\. Container hog was using (\S+), request is 10Mi, has larger consumption of memory\. $/.exec(p.status.message);
    assert.ok(m, p.status.message);
    const bytes = (q: string) => Number(mustParseQty(q).nanos / 1_000_000_000n);
    assert.ok(bytes(m[1]!) < 100 * 1024 ** 2, `available ${m[1]} is under the threshold`);
    // Evicted while still filling its string, once the pods' cgroup passed 250Mi - 100Mi.
    assert.ok(bytes(m[2]!) > 64 * 1024 ** 2, `the hog's working set ${m[2]} counts what it filled`);
    const dt = (p.status.conditions ?? []).find((c: K8sObject) => c.type === 'DisruptionTarget');
    assert.equal(dt?.reason, 'TerminationByKubelet');
    assert.equal(dt?.message, p.status.message);
    assert.ok(p.status.containerStatuses.every((c: K8sObject) => c.state.terminated), 'its container was killed');
    const nodeEvents = await ac.admin.list<K8sObject>(resources.events, 'default', { fieldSelector: `involvedObject.name=${NODE}` });
    assert.ok(nodeEvents.items.some((e) => e.reason === 'EvictionThresholdMet' && e.message === 'Attempting to reclaim memory'), nodeEvents.items.map((e) => `${e.reason}: ${e.message}`).join(' | '));
    await tainted;
    // The hog's memory is freed: the condition clears after the transition period; the quiet pod was never chosen.
    await eventually(async () => condition(await ac.admin.get<K8sObject>(resources.nodes, '', NODE), 'MemoryPressure')?.status === 'False', 'MemoryPressure=False', 600, 100);
    assert.equal((await ac.admin.get<K8sObject>(resources.pods, 'default', 'quiet')).status.phase, 'Running');
    for (const name of ['hog', 'quiet']) await ac.admin.delete(resources.pods, 'default', name, { gracePeriodSeconds: 0 });
  });
});
