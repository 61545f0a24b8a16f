/**
 * Client certificate rotation as the kubelet's certificate manager: an agent whose certificate is
 * past 90 % of its lifetime files a new CSR as the node itself, which the approving controller
 * approves as a self renewal (selfnodeclient, granted to system:nodes by the join bindings); the
 * new certificate is stored and the agent's client carries on with it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { issueCert } from '../../src/pki/certs.ts';
import { storeCert, loadCert } from '../../src/cluster/agent/node-certificates.ts';
import { rotationDeadline } from '../../src/cluster/agent/cert-manager.ts';
import { resources } from '../../src/cluster/client/resources.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';
import { startAgentCluster, eventually, type AgentCluster } from './agent-helpers.ts';

let ac: AgentCluster;
before(async () => {
  ac = await startAgentCluster();
});
after(() => ac.close());

test('rotationDeadline falls between 70 % and 90 % of the lifetime', () => {
  const c = { notBefore: new Date(0), notAfter: new Date(1000) };
  assert.equal(rotationDeadline(c, () => 0), 700);
  assert.equal(rotationDeadline(c, () => 1), 900);
  assert.equal(rotationDeadline(c, () => 0.5), 800);
});

test('a certificate past its rotation deadline is renewed as the node itself and the agent goes on with the new one', async () => {
  const dataDir = join(ac.dir, 'node-rot');
  const ca = { certPem: ac.c.cp.pki.caCertPem, keyPem: ac.c.cp.pki.caKeyPem };
  // A one-day certificate issued 23 hours ago: its deadline (70-90 %) is behind us.
  const old = issueCert(ca, { commonName: 'system:node:node-rot', organizations: ['system:nodes'], usage: 'client', now: new Date(Date.now() - 23 * 3_600_000), validityDays: 1 });
  storeCert(dataDir, 'client', old.certPem, old.keyPem);
  const { agent } = await ac.start('node-rot', { dataDir });
  const oldSerial = new X509Certificate(old.certPem).serialNumber;
  const rotated = await eventually(async () => new X509Certificate(agent.clientCert().certPem).serialNumber !== oldSerial && agent.clientCert(), 'the certificate is rotated');
  const cert = new X509Certificate(rotated.certPem);
  assert.equal(cert.subject, 'O=system:nodes\nCN=system:node:node-rot');
  assert.equal(cert.publicKey.asymmetricKeyType, 'ec', 'the renewed key is ECDSA, as the kubelet\'s');
  assert.ok(rotated.notAfter.getTime() > Date.now() + 300 * 24 * 3_600_000, `a fresh certificate (the signer's one-year duration), got ${rotated.notAfter.toISOString()}`);
  assert.equal(loadCert(dataDir, 'client', new Date())?.certPem, rotated.certPem, 'stored for the next start');
  const csrs = (await ac.admin.list<K8sObject>(resources.certificatesigningrequests, '')).items.filter((c) => c.spec.username === 'system:node:node-rot' && c.spec.signerName === 'kubernetes.io/kube-apiserver-client-kubelet');
  assert.equal(csrs.length, 1);
  const approved = csrs[0]!.status.conditions.find((c: { type: string }) => c.type === 'Approved');
  assert.equal(approved.message, 'Auto approving self kubelet client certificate after SubjectAccessReview.');
  // The rotated client works (after the old one is closed).
  await eventually(async () => {
    await agent.client.patch(resources.nodes, '', 'node-rot', 'merge', { metadata: { annotations: { rotated: 'yes' } } });
    return true;
  }, 'the node writes with its new certificate');
});
