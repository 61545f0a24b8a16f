/**
 * The kubelet flags that shape the agent's Node (--node-labels, --register-with-taints) and pods'
 * names (--cluster-domain), on the fake runtime against a real control plane: the Node is created
 * with the labels and taints (NodeRestriction lets a node set those on itself), a label the kubelet
 * refuses stops the start before anything is filed, NodeRestriction still refuses the node's own
 * attempt at node-restriction.kubernetes.io labels, and a Node that exists keeps its own labels and
 * taints when the agent comes back (as the kubelet: they are only applied on creation).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resources } from '../../src/cluster/client/resources.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';
import { eventually, outcome, startAgentCluster, type AgentCluster } from './agent-helpers.ts';

let ac: AgentCluster;
before(async () => {
  ac = await startAgentCluster();
});
after(() => ac.close());

test('the Node registers with --node-labels and --register-with-taints; NodeRestriction refuses the node protected labels', async () => {
  const { agent } = await ac.start('node-reg', {
    nodeLabels: { pool: 'blue', 'node.kubernetes.io/exclude-from-external-load-balancers': 'true', 'kubernetes.io/hostname': 'custom' },
    registerWithTaints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }, { key: 'spot', effect: 'PreferNoSchedule' }],
  });
  const node = await ac.admin.get<K8sObject>(resources.nodes, '', 'node-reg');
  assert.equal(node.metadata.labels?.pool, 'blue');
  assert.equal(node.metadata.labels?.['node.kubernetes.io/exclude-from-external-load-balancers'], 'true');
  // As initialNode: the flag's value over the default.
  assert.equal(node.metadata.labels?.['kubernetes.io/hostname'], 'custom');
  assert.equal(node.metadata.labels?.['kubernetes.io/os'], 'linux');
  // TaintNodesByCondition appends not-ready:NoSchedule at creation (the node lifecycle controller, not run here, lifts it once Ready).
  assert.deepEqual(node.spec.taints, [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }, { key: 'spot', effect: 'PreferNoSchedule' }, { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }]);

  // The node's own identity may not give itself labels workloads trust it could not set.
  assert.equal(await outcome(agent.client.patch(resources.nodes, '', 'node-reg', 'merge', { metadata: { labels: { 'node-restriction.kubernetes.io/pool': 'secure' } } })),
    '403 nodes "node-reg" is forbidden: is not allowed to modify labels: node-restriction.kubernetes.io/pool');
  assert.equal(await outcome(agent.client.patch(resources.nodes, '', 'node-reg', 'merge', { metadata: { labels: { 'node-role.kubernetes.io/control-plane': '' } } })),
    '403 nodes "node-reg" is forbidden: is not allowed to modify labels: node-role.kubernetes.io/control-plane');
  // Nor drop its taints.
  assert.equal(await outcome(agent.client.patch(resources.nodes, '', 'node-reg', 'merge', { spec: { taints: null } })),
    '403 nodes "node-reg" is forbidden: node "node-reg" is not allowed to modify taints');

  // Back with other flags: the Node as it is keeps its labels and taints (only the defaults are reconciled upstream).
  await agent.stop();
  const again = await ac.start('node-reg', { nodeLabels: { pool: 'green' }, registerWithTaints: [] });
  const kept = await ac.admin.get<K8sObject>(resources.nodes, '', 'node-reg');
  assert.equal(kept.metadata.labels?.pool, 'blue');
  assert.equal(kept.spec.taints?.length, 3);
  await again.agent.stop();
});

test('a label the kubelet refuses stops the agent before it joins: no CSR, no Node', async () => {
  const csrsBefore = (await ac.admin.list<K8sObject>(resources.certificatesigningrequests, '')).items.length;
  await assert.rejects(ac.start('node-role', { nodeLabels: { 'node-role.kubernetes.io/worker': '' } }), {
    message: /^failed to validate kubelet flags: unknown 'kubernetes.io' or 'k8s.io' labels specified with --node-labels: \[node-role.kubernetes.io\/worker\]\n--node-labels in the 'kubernetes.io' namespace must begin with an allowed prefix \(kubelet.kubernetes.io, node.kubernetes.io\)/,
  });
  await assert.rejects(ac.start('node-role', { registerWithTaints: [{ key: 'k', effect: 'Sometimes' as never }] }), { message: 'failed to validate kubelet configuration, error: invalid taint: {k  Sometimes <nil>}' });
  assert.equal((await ac.admin.list<K8sObject>(resources.certificatesigningrequests, '')).items.length, csrsBefore);
  assert.equal(await outcome(ac.admin.get(resources.nodes, '', 'node-role')), '404 nodes "node-role" not found');
});

test('--cluster-domain names the pod\'s FQDN (setHostnameAsFQDN: /etc/hostname)', async () => {
  const dataDir = join(ac.dir, 'node-dom');
  await ac.start('node-dom', { clusterDomain: 'corp.internal', dataDir });
  const pod = await ac.admin.create<K8sObject>(resources.pods, 'default', {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'fqdn' },
    spec: { nodeName: 'node-dom', hostname: 'web', subdomain: 'sub', setHostnameAsFQDN: true, containers: [{ name: 'c', image: 'example.test/x:1' }] },
  });
  await eventually(async () => (await ac.admin.get<K8sObject>(resources.pods, 'default', 'fqdn')).status?.phase === 'Running', 'the pod runs');
  assert.equal(await readFile(join(dataDir, 'pods', pod.metadata.uid!, 'etc-hostname'), 'utf8'), 'web.sub.default.svc.corp.internal\n');
});
