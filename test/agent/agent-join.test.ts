/**
 * A node agent joins by bootstrap token as a kubelet does: its CSR is auto-approved by the CSR
 * approving controller (nodeclient, for the join group) and signed; it registers its Node, which
 * reports Ready with the kubelet's reason and message; it renews its Lease; and from then on it
 * is system:node:<name>, confined by the Node authorizer and NodeRestriction.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { resources } from '../../src/cluster/client/resources.ts';
import { ApiStatusError } from '../../src/cluster/client/errors.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';
import type { Agent } from '../../src/cluster/agent/agent.ts';
import { startAgentCluster, eventually, outcome, type AgentCluster } from './agent-helpers.ts';

let ac: AgentCluster;
let agent: Agent;
const servingSeen: string[] = [];
before(async () => {
  ac = await startAgentCluster();
  ({ agent } = await ac.start('node-a', { onServingCertificate: (c) => servingSeen.push(c.certPem) }));
});
after(() => ac.close());

const status = async (p: Promise<unknown>): Promise<number> => {
  try {
    await p;
    return 200;
  } catch (err) {
    if (err instanceof ApiStatusError) return err.code;
    throw err;
  }
};

test('the bootstrap CSR is auto-approved and signed: the agent holds a certificate for system:node:<name> in system:nodes', async () => {
  const csrs = await ac.admin.list<K8sObject>(resources.certificatesigningrequests, '');
  const boot = csrs.items.find((c) => c.spec.signerName === 'kubernetes.io/kube-apiserver-client-kubelet');
  assert.ok(boot, 'a kubelet client CSR was filed');
  assert.match(boot.metadata.name!, /^node-csr-/);
  assert.equal(boot.spec.username, `system:bootstrap:${ac.token.split('.')[0]}`);
  assert.deepEqual([...boot.spec.usages], ['digital signature', 'client auth'], 'an ECDSA key: no key encipherment');
  const approved = boot.status.conditions.find((c: { type: string }) => c.type === 'Approved');
  assert.equal(approved.reason, 'AutoApproved');
  assert.equal(approved.message, 'Auto approving kubelet client certificate after SubjectAccessReview.');
  const cert = new X509Certificate(agent.clientCert().certPem);
  assert.equal(cert.subject, 'O=system:nodes\nCN=system:node:node-a');
  assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1', 'the kubelet\'s ECDSA P-256 key');
});

test('the Node is registered with host capacity and reports Ready ("kubelet is posting ready status"); the Lease is renewed', async () => {
  const node = await ac.admin.get<K8sObject>(resources.nodes, '', 'node-a');
  assert.equal(node.metadata.labels['kubernetes.io/hostname'], 'node-a');
  assert.equal(node.status.capacity.pods, '110');
  assert.equal(node.status.allocatable.cpu, '4');
  assert.deepEqual(node.status.addresses, [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: 'node-a' }]);
  const ready = node.status.conditions.find((c: { type: string }) => c.type === 'Ready');
  assert.equal(ready.status, 'True');
  assert.equal(ready.reason, 'KubeletReady');
  assert.equal(ready.message, 'kubelet is posting ready status');
  const first = await eventually(() => ac.admin.get<K8sObject>(resources.leases, 'kube-node-lease', 'node-a'), 'the node lease exists');
  assert.equal(first.spec.holderIdentity, 'node-a');
  assert.equal(first.spec.leaseDurationSeconds, 40);
  assert.equal(first.metadata.ownerReferences[0].uid, node.metadata.uid);
  await eventually(async () => (await ac.admin.get<K8sObject>(resources.leases, 'kube-node-lease', 'node-a')).spec.renewTime !== first.spec.renewTime, 'the lease is renewed');
});

test('a Ready condition changed by someone else (the node lifecycle controller\'s Unknown) is posted again by the node', async () => {
  const node = await ac.admin.get<K8sObject>(resources.nodes, '', 'node-a');
  const conditions = node.status.conditions.map((c: { type: string }) => (c.type === 'Ready' ? { ...c, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' } : c));
  await ac.admin.patch(resources.nodes, '', 'node-a', 'merge', { status: { conditions } }, 'status');
  const back = await eventually(async () => {
    const n = await ac.admin.get<K8sObject>(resources.nodes, '', 'node-a');
    const ready = n.status.conditions.find((c: { type: string }) => c.type === 'Ready');
    return ready.status === 'True' && ready;
  }, 'Ready is True again');
  assert.equal(back.reason, 'KubeletReady');
});

test('a serving certificate is requested (kubelet-serving, with the node names and address) and left for a human to approve', async () => {
  const csr = await eventually(async () => (await ac.admin.list<K8sObject>(resources.certificatesigningrequests, '')).items.find((c) => c.spec.signerName === 'kubernetes.io/kubelet-serving'), 'a serving CSR');
  assert.equal(csr.spec.username, 'system:node:node-a');
  assert.deepEqual([...csr.spec.usages], ['digital signature', 'server auth'], 'an ECDSA key: no key encipherment');
  assert.equal((csr.status?.conditions ?? []).length, 0, 'not auto-approved');
  assert.equal(agent.servingCert(), undefined);
  // Approved by hand: the signer signs it and the agent takes it up.
  const approved = { ...csr, status: { conditions: [{ type: 'Approved', status: 'True', reason: 'Test', message: 'approved by the test' }] } };
  await ac.admin.update(resources.certificatesigningrequests, '', approved, 'approval');
  const serving = await eventually(async () => agent.servingCert(), 'the agent has its serving certificate');
  assert.deepEqual(servingSeen, [serving.certPem], 'handed to the agent\'s endpoint once issued');
  const san = (new X509Certificate(serving.certPem).subjectAltName ?? '').split(', ');
  assert.ok(san.includes('DNS:node-a'), san.join());
  assert.ok(san.includes('IP Address:127.0.0.1'), san.join());
});

test('the agent is confined to its own node: another Node, another node\'s pod status and secrets are refused (403)', async () => {
  // Another node, with a pod that references a secret; and a pod of node-a referencing its own.
  await ac.admin.create(resources.nodes, '', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-b' } });
  for (const name of ['theirs', 'mine']) await ac.admin.create(resources.secrets, 'default', { apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData: { k: name } });
  const pod = (name: string, nodeName: string, secret: string): K8sObject => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName, containers: [{ name: 'c', image: 'busybox:1', env: [{ name: 'S', valueFrom: { secretKeyRef: { name: secret, key: 'k' } } }] }] },
  });
  await ac.admin.create(resources.pods, 'default', pod('on-b', 'node-b', 'theirs'));
  await ac.admin.create(resources.pods, 'default', pod('on-a', 'node-a', 'mine'));
  const me = agent.client;
  await eventually(async () => (await status(me.get(resources.secrets, 'default', 'mine'))) === 200, 'the node may read its pod\'s secret');
  assert.equal(await status(me.get(resources.secrets, 'default', 'theirs')), 403, 'another node\'s secret');
  assert.equal(await status(me.patch(resources.nodes, '', 'node-b', 'merge', { metadata: { labels: { x: 'y' } } })), 403, 'another Node');
  assert.equal(await status(me.patch(resources.nodes, '', 'node-b', 'merge', { status: { conditions: [] } }, 'status')), 403, 'another Node\'s status');
  assert.equal(await status(me.patch(resources.pods, 'default', 'on-b', 'merge', { status: { phase: 'Running' } }, 'status')), 403, 'another node\'s pod status');
  assert.equal(await status(me.delete(resources.pods, 'default', 'on-b')), 403, 'deleting another node\'s pod');
  assert.equal(await status(me.list(resources.secrets, 'default')), 403, 'listing secrets');
});

test('the agent lists only its own pods (spec.nodeName field selector) and reads only its own Node (AuthorizeNodeWithSelectors)', async () => {
  await ac.admin.create(resources.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'sel-b' }, spec: { nodeName: 'node-b', containers: [{ name: 'c', image: 'busybox:1' }] } });
  await ac.admin.create(resources.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'sel-a' }, spec: { nodeName: 'node-a', containers: [{ name: 'c', image: 'busybox:1' }] } });
  // With the default bootstrap policy: the network plugin lists everything under an identity of its
  // own (agent-network-identity.test.ts), so nothing but the Node authorizer speaks for the node.
  const me = agent.client;
  const mine = await me.list(resources.pods, '', { fieldSelector: 'spec.nodeName=node-a' });
  const names = mine.items.map((p) => p.metadata.name);
  assert.ok(names.includes('sel-a') && !names.includes('sel-b'), names.join());
  assert.equal((await me.list(resources.pods, 'default', { fieldSelector: 'spec.nodeName=node-a,metadata.name=sel-a' })).items.length, 1, 'further requirements narrow');
  const refused = outcome;
  const forbidPods = (verb: string, scope: string) =>
    `403 pods is forbidden: User "system:node:node-a" cannot ${verb} resource "pods" in API group "" ${scope}: can only list/watch pods with spec.nodeName field selector`;
  assert.equal(await refused(me.list(resources.pods, '')), forbidPods('list', 'at the cluster scope'));
  assert.equal(await refused(me.list(resources.pods, 'default', { fieldSelector: 'spec.nodeName=node-b' })), forbidPods('list', 'in the namespace "default"'));
  assert.equal(await refused(me.list(resources.pods, '', { fieldSelector: 'spec.nodeName!=node-b' })), forbidPods('list', 'at the cluster scope'));
  // A single pod: only one bound to this node (the graph decides, as for its secrets).
  await eventually(async () => (await refused(me.get(resources.pods, 'default', 'sel-a'))) === 'allowed', 'reading its own pod');
  assert.match(await refused(me.get(resources.pods, 'default', 'sel-b')), /^403 .*no relationship found between node 'node-a' and this object$/);
  // Its own Node by name or by metadata.name selector; never another's, never all.
  assert.equal(await refused(me.get(resources.nodes, '', 'node-a')), 'allowed');
  assert.equal((await me.list(resources.nodes, '', { fieldSelector: 'metadata.name=node-a' })).items.length, 1);
  assert.equal(await refused(me.get(resources.nodes, '', 'node-b')), `403 nodes "node-b" is forbidden: User "system:node:node-a" cannot get resource "nodes" in API group "" at the cluster scope: node 'node-a' cannot read 'node-b', only its own Node object`);
  assert.equal(await refused(me.list(resources.nodes, '')), `403 nodes is forbidden: User "system:node:node-a" cannot list resource "nodes" in API group "" at the cluster scope: node 'node-a' cannot read all nodes, only its own Node object`);

  // A SubjectAccessReview asks the same question with the selector (rawSelector or requirements).
  const SAR = { group: 'authorization.k8s.io', version: 'v1', resource: 'subjectaccessreviews', kind: 'SubjectAccessReview', namespaced: false };
  const review = async (resourceAttributes: Record<string, unknown>) =>
    (await ac.admin.create<K8sObject>(SAR, '', { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', metadata: {}, spec: { user: 'system:node:node-a', groups: ['system:nodes', 'system:authenticated'], resourceAttributes: { verb: 'list', resource: 'pods', ...resourceAttributes } } })).status;
  assert.deepEqual(await review({ fieldSelector: { rawSelector: 'spec.nodeName=node-a' } }), { allowed: true });
  assert.deepEqual(await review({ fieldSelector: { requirements: [{ key: 'spec.nodeName', operator: 'In', values: ['node-a'] }] } }), { allowed: true });
  assert.deepEqual(await review({ fieldSelector: { requirements: [{ key: 'spec.nodeName', operator: 'NotIn', values: ['node-b'] }] } }), { allowed: false, reason: 'can only list/watch pods with spec.nodeName field selector' });
  assert.deepEqual(await review({}), { allowed: false, reason: 'can only list/watch pods with spec.nodeName field selector' });
  assert.match(
    await refused(review({ fieldSelector: { rawSelector: 'spec.nodeName=node-a', requirements: [{ key: 'spec.nodeName', operator: 'In', values: ['node-a'] }] } })),
    /^422 SubjectAccessReview\S* "" is invalid: spec\.resourceAttributes\.fieldSelector\.rawSelector: Invalid value: "spec\.nodeName=node-a": may not specified at the same time as requirements$/,
  );
});
