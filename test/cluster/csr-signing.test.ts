/**
 * The CSR signing controller in a running control plane: an approved kube-apiserver-client CSR
 * is signed with the cluster CA (handed to the controller manager by the control plane), and the
 * certificate authenticates as the subject it names.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import forge from 'node-forge';
import { generateRsaKeyPair } from '../../src/pki/key-pair.ts';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { TestClient } from '../helpers/client.ts';

let c: TestCluster;
before(async () => {
  c = await startTestCluster({ controllers: ['certificatesigningrequest-signing-controller'] });
});
after(() => c.close());

const CSRS = '/apis/certificates.k8s.io/v1/certificatesigningrequests';

test('an approved kube-apiserver-client CSR is signed by the cluster CA and the certificate authenticates as its subject', async () => {
  const { privateKey, publicKey } = generateRsaKeyPair();
  const req = forge.pki.createCertificationRequest();
  req.publicKey = publicKey;
  req.setSubject([{ name: 'commonName', value: 'carol' }, { name: 'organizationName', value: 'auditors' }]);
  req.sign(privateKey, forge.md.sha256.create());
  const body = {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name: 'carol' },
    spec: { request: Buffer.from(forge.pki.certificationRequestToPem(req)).toString('base64'), signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'], expirationSeconds: 3600 },
  };
  assert.equal((await c.admin.post(CSRS, body)).status, 201);
  const cur = (await c.admin.get(`${CSRS}/carol`)).body;
  cur.status = { conditions: [{ type: 'Approved', status: 'True', reason: 'Test', message: 'approved by the test' }] };
  const approved = await c.admin.req('PUT', `${CSRS}/carol/approval`, { body: cur });
  assert.equal(approved.status, 200, approved.text);

  let certificate: string | undefined;
  for (let i = 0; i < 300 && !certificate; i++) {
    certificate = (await c.admin.get(`${CSRS}/carol`)).body.status?.certificate;
    if (!certificate) await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(certificate, 'the signer wrote status.certificate');
  const certPem = Buffer.from(certificate, 'base64').toString('utf8');
  const cert = forge.pki.certificateFromPem(certPem);
  const lifetime = (cert.validity.notAfter.getTime() - cert.validity.notBefore.getTime()) / 1000;
  assert.ok(lifetime <= 3600 + 5 * 60 + 1, `expirationSeconds honoured (${lifetime} s, with the 5 min backdating)`);

  const carol = new TestClient(c.cp.url, { caPem: c.cp.pki.caCertPem, certPem, keyPem: forge.pki.privateKeyToPem(privateKey) });
  try {
    const review = await carol.post('/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
    assert.equal(review.status, 201, review.text);
    assert.equal(review.body.status.userInfo.username, 'carol');
    assert.ok(review.body.status.userInfo.groups.includes('auditors'));
  } finally {
    carol.close();
  }
});

test('a certificate with several CNs authenticates as its last one, the one the approver and signer judged (as Go\'s pkix.Name)', async () => {
  const { privateKey, publicKey } = generateRsaKeyPair();
  const req = forge.pki.createCertificationRequest();
  req.publicKey = publicKey;
  req.setSubject([{ name: 'commonName', value: 'system:kube-controller-manager' }, { name: 'commonName', value: 'dave' }, { name: 'organizationName', value: 'auditors' }]);
  req.sign(privateKey, forge.md.sha256.create());
  const body = {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name: 'dave' },
    spec: { request: Buffer.from(forge.pki.certificationRequestToPem(req)).toString('base64'), signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'] },
  };
  assert.equal((await c.admin.post(CSRS, body)).status, 201);
  const cur = (await c.admin.get(`${CSRS}/dave`)).body;
  cur.status = { conditions: [{ type: 'Approved', status: 'True', reason: 'Test', message: 'approved for dave' }] };
  assert.equal((await c.admin.req('PUT', `${CSRS}/dave/approval`, { body: cur })).status, 200);
  let certificate: string | undefined;
  for (let i = 0; i < 300 && !certificate; i++) {
    certificate = (await c.admin.get(`${CSRS}/dave`)).body.status?.certificate;
    if (!certificate) await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(certificate, 'the signer wrote status.certificate');
  const dave = new TestClient(c.cp.url, { caPem: c.cp.pki.caCertPem, certPem: Buffer.from(certificate, 'base64').toString('utf8'), keyPem: forge.pki.privateKeyToPem(privateKey) });
  try {
    const review = await dave.post('/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
    assert.equal(review.status, 201, review.text);
    assert.equal(review.body.status.userInfo.username, 'dave');
  } finally {
    dave.close();
  }
});
