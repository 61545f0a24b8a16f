/**
 * The node network plugin's own identity (src/cluster/agent/network/network-identity.ts): an agent
 * with a pod network requests system:node-network:<node> as the node itself, the CSR approving
 * controller approves it for that node only, and with the default bootstrap policy that identity
 * lists what the network needs cluster-wide but reads no secret and no log and writes nothing,
 * while the node identity is held to the Node authorizer's own-pods-only lists. The certificate
 * is renewed as the node's is. (Fake runtime: no real network is started; the tests use the
 * identity's client as the network plugin would.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { issueCert } from '../../src/pki/certs.ts';
import { certPath, certRequest, loadCert, storeCert } from '../../src/cluster/agent/node-certificates.ts';
import { createCsr } from '../../src/cluster/agent/certificate-request.ts';
import { networkSubject } from '../../src/cluster/agent/network/network-identity.ts';
import { reconciledBinding } from '../../src/authz/rbac/reconcile.ts';
import { loadBootstrapPolicy } from '../../src/authz/rbac/bootstrap.ts';
import { resources } from '../../src/cluster/client/resources.ts';
import { RestClient } from '../../src/cluster/client/rest-client.ts';
import type { ApiClient, K8sObject } from '../../src/cluster/client/types.ts';
import type { Agent, AgentOptions } from '../../src/cluster/agent/agent.ts';
import { startAgentCluster, eventually, outcome, type AgentCluster } from './agent-helpers.ts';

const SIGNER = 'portcullis.dev/node-network-client';
let ac: AgentCluster;
before(async () => {
  ac = await startAgentCluster();
});
after(() => ac.close());

/** An agent whose network plugin only keeps the identity's client (the fake runtime's pods need no addresses here). */
async function startWithNetwork(nodeName: string, dataDir?: string): Promise<{ agent: Agent; net: Promise<ApiClient> }> {
  let net!: Promise<ApiClient>;
  const startNetwork: AgentOptions['startNetwork'] = async (identity) => {
    net = identity;
    const none = () => {
      throw new Error('no pod network in this test');
    };
    return { podNetwork: { setUp: none, tearDown: async () => {}, addressOf: () => undefined }, stop: async () => {} };
  };
  const { agent } = await ac.start(nodeName, { startNetwork, ...(dataDir ? { dataDir } : {}) });
  return { agent, net };
}

test('the network identity is requested as the node, auto-approved for it and stored; it lists pods and Nodes cluster-wide but reads no secret or log and writes nothing', async () => {
  const { agent, net } = await startWithNetwork('node-n');
  const client = await net;
  const csr = (await ac.admin.list<K8sObject>(resources.certificatesigningrequests, '')).items.find((c) => c.spec.signerName === SIGNER && c.spec.username === 'system:node:node-n');
  assert.ok(csr, 'a node network CSR filed by the node');
  assert.deepEqual([...csr.spec.usages], ['digital signature', 'client auth']);
  const approved = csr.status.conditions.find((c: { type: string }) => c.type === 'Approved');
  assert.equal(approved.reason, 'AutoApproved');
  assert.equal(approved.message, 'Auto approving the requesting node\'s network client certificate after SubjectAccessReview.');
  const cert = new X509Certificate(agent.networkCert()!.certPem);
  assert.equal(cert.subject, 'O=system:node-networks\nCN=system:node-network:node-n');
  const file = certPath(join(ac.dir, 'node-n'), 'network');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(loadCert(join(ac.dir, 'node-n'), 'network', new Date())?.certPem, agent.networkCert()!.certPem, 'kept for the next start');

  await ac.admin.create(resources.nodes, '', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-other' } });
  await ac.admin.create(resources.secrets, 'default', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { k: 'v' } });
  await ac.admin.create(resources.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'elsewhere' }, spec: { nodeName: 'node-other', containers: [{ name: 'c', image: 'busybox:1' }] } });
  const pods = await eventually(async () => (await client.list(resources.pods, '')).items, 'the network identity lists pods once RBAC has its binding');
  assert.ok(pods.some((p) => p.metadata.name === 'elsewhere'), 'every node\'s pods, for NetworkPolicy peers and DNS');
  assert.ok((await client.list(resources.nodes, '')).items.some((n) => n.metadata.name === 'node-other'), 'every Node, for routes');
  for (const r of [resources.services, resources.endpointslices, resources.namespaces]) assert.equal(await outcome(client.list(r, '')), 'allowed', r.resource);
  const user = 'User "system:node-network:node-n"';
  assert.equal(await outcome(client.get(resources.secrets, 'default', 's')), `403 secrets "s" is forbidden: ${user} cannot get resource "secrets" in API group "" in the namespace "default"`);
  assert.equal(await outcome(client.list(resources.secrets, '')), `403 secrets is forbidden: ${user} cannot list resource "secrets" in API group "" at the cluster scope`);
  assert.equal(await outcome(client.get(resources.pods, 'default', 'elsewhere', 'log')), `403 pods "elsewhere" is forbidden: ${user} cannot get resource "pods/log" in API group "" in the namespace "default"`);
  assert.equal(await outcome(client.get(resources.pods, 'default', 'elsewhere')), `403 pods "elsewhere" is forbidden: ${user} cannot get resource "pods" in API group "" in the namespace "default"`, 'list and watch only');
  assert.match(await outcome(client.delete(resources.pods, 'default', 'elsewhere')), /^403 pods "elsewhere" is forbidden: User "system:node-network:node-n" cannot delete resource "pods"/);
  assert.match(await outcome(client.patch(resources.nodes, '', 'node-n', 'merge', { metadata: { labels: { x: 'y' } } })), /^403 nodes "node-n" is forbidden: User "system:node-network:node-n" cannot patch resource "nodes"/, 'not even its own Node: that is the node identity\'s');

  // The node identity, with the default bootstrap policy, lists only its own pods.
  assert.equal(await outcome(agent.client.list(resources.pods, '')), '403 pods is forbidden: User "system:node:node-n" cannot list resource "pods" in API group "" at the cluster scope: can only list/watch pods with spec.nodeName field selector');
});

test('a network identity CSR for a node is approved only when that node asks: not another node, not a bootstrap identity', async () => {
  const { net } = await startWithNetwork('node-m');
  await net;
  const nodeM = (await ac.admin.list<K8sObject>(resources.certificatesigningrequests, '')).items.find((c) => c.spec.signerName === SIGNER && c.spec.username === 'system:node:node-m');
  assert.ok(nodeM);
  // node-m's own node identity (from its stored certificate) asks for node-n's network identity;
  // the join token's bootstrap identity asks for node-m's.
  const stored = loadCert(join(ac.dir, 'node-m'), 'client', new Date())!;
  const asNodeM = new RestClient({ server: ac.c.cp.url, identity: { caPem: ac.c.cp.pki.caCertPem, certPem: stored.certPem, keyPem: stored.keyPem }, userAgent: 'test' });
  const asBootstrap = new RestClient(ac.bootstrap);
  try {
    const file = (c: ApiClient, node: string) => createCsr(c, { request: certRequest(networkSubject(node)).request, signerName: SIGNER, usages: ['digital signature', 'client auth'] });
    const foreign = await file(asNodeM, 'node-n');
    const bootstrap = await file(asBootstrap, 'node-m');
    // A request filed after them by node-m for itself is approved: the approver has seen the others by then.
    const own = await file(asNodeM, 'node-m');
    await eventually(async () => (await ac.admin.get<K8sObject>(resources.certificatesigningrequests, '', own)).status?.certificate, 'node-m\'s own request is approved and signed');
    for (const name of [foreign, bootstrap]) {
      const c = await ac.admin.get<K8sObject>(resources.certificatesigningrequests, '', name);
      assert.deepEqual(c.status?.conditions ?? [], [], `${name} (${c.spec.username}) stays pending`);
      assert.equal(c.status?.certificate, undefined);
    }
  } finally {
    asNodeM.close();
    asBootstrap.close();
  }
});

test('a network certificate past its rotation deadline is renewed as the node and the network client goes on with it', async () => {
  const dataDir = join(ac.dir, 'node-r');
  const ca = { certPem: ac.c.cp.pki.caCertPem, keyPem: ac.c.cp.pki.caKeyPem };
  // A one-day certificate issued 23 hours ago: its deadline (70-90 %) is behind us.
  const old = issueCert(ca, { commonName: 'system:node-network:node-r', organizations: ['system:node-networks'], usage: 'client', now: new Date(Date.now() - 23 * 3_600_000), validityDays: 1 });
  storeCert(dataDir, 'network', old.certPem, old.keyPem);
  const { agent, net } = await startWithNetwork('node-r', dataDir);
  const client = await net;
  const oldSerial = new X509Certificate(old.certPem).serialNumber;
  const rotated = await eventually(async () => new X509Certificate(agent.networkCert()!.certPem).serialNumber !== oldSerial && agent.networkCert(), 'the network certificate is rotated');
  assert.equal(new X509Certificate(rotated.certPem).subject, 'O=system:node-networks\nCN=system:node-network:node-r');
  assert.equal(loadCert(dataDir, 'network', new Date())?.certPem, rotated.certPem, 'stored for the next start');
  const csrs = (await ac.admin.list<K8sObject>(resources.certificatesigningrequests, '')).items.filter((c) => c.spec.signerName === SIGNER && c.spec.username === 'system:node:node-r');
  assert.equal(csrs.length, 1, 'one renewal request, filed as the node');
  await eventually(async () => (await client.list(resources.pods, '')).items, 'the network client lists with its new certificate');
});

test('a cluster made before keeps no system:nodes grant: the binding\'s changed roleRef makes reconciliation recreate it', () => {
  const policy = loadBootstrapPolicy();
  const expected = policy.clusterRoleBindings.find((b) => b.metadata.name === 'system:portcullis:node-network')!;
  assert.deepEqual(expected.subjects, [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'system:node-networks' }]);
  const before = { ...expected, roleRef: { ...expected.roleRef, name: 'system:portcullis:node-network' }, subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'system:nodes' }] };
  assert.deepEqual(reconciledBinding(before, expected), { op: 'recreate' });
  assert.equal(reconciledBinding(expected, expected).op, 'none');
});
