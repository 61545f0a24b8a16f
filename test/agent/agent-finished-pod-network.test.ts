/**
 * A finished pod gives its address back (fake runtime, a recording pod network): upstream's kubelet
 * stops a terminated pod's sandbox, and the runtime's CNI DEL releases the pod's IP then, while the
 * pod object stays. Before, the agent released it only when the pod was deleted, so finished pods
 * that are kept (a Job's, or any restartPolicy Never pod nobody deletes) used up the node's podCIDR
 * (254 addresses for a /24) and every later pod on the node failed its sandbox ("no free address").
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../../src/cluster/client/resources.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';
import type { PodNetwork } from '../../src/cluster/agent/network/routed.ts';
import { startAgentCluster, eventually, type AgentCluster } from './agent-helpers.ts';

let ac: AgentCluster;
const held = new Map<string, string>();
let next = 2;
const network: PodNetwork = {
  async setUp(pod) {
    const ip = held.get(pod.uid) ?? `10.244.0.${next++}`;
    held.set(pod.uid, ip);
    return { ips: [ip] };
  },
  async tearDown(pod) {
    held.delete(pod.uid);
  },
  addressOf: (uid) => held.get(uid),
};

before(async () => {
  ac = await startAgentCluster();
  await ac.start('node-net', { network, fake: { program: (cfg) => (cfg.container.command?.[0] === 'exit0' ? { exitAfterMs: 50, exitCode: 0 } : {}) } });
});
after(() => ac.close());

test("a finished pod's address is released though the pod is kept; a running pod keeps its own", async () => {
  const pod = (name: string, command: string[], restartPolicy: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: 'node-net', restartPolicy, containers: [{ name: 'c', image: 'example.test/app:1', command }] } });
  const server = await ac.admin.create<K8sObject>(resources.pods, 'default', pod('server', ['serve'], 'Always'));
  const job = await ac.admin.create<K8sObject>(resources.pods, 'default', pod('job', ['exit0'], 'Never'));
  const done = await eventually(async () => {
    const p = await ac.admin.get<K8sObject>(resources.pods, 'default', 'job');
    return p.status?.phase === 'Succeeded' && p;
  }, 'the job pod succeeds');
  assert.ok(done.status.podIP, 'it had an address while it ran');
  await eventually(async () => !held.has(job.metadata.uid!), "the finished pod's address is released");
  await eventually(async () => (await ac.admin.get<K8sObject>(resources.pods, 'default', 'server')).status?.phase === 'Running', 'the server runs');
  assert.ok(held.has(server.metadata.uid!), 'the running pod keeps its address');
  assert.equal((await ac.admin.get<K8sObject>(resources.pods, 'default', 'job')).status?.phase, 'Succeeded', 'the pod object stays');
});
