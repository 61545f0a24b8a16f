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
import { retryUntil } from '../helpers/retry-until.ts';

let c: TestCluster;
before(async () => {
  c = await startTestCluster({ controllers: ['certificatesigningrequest-signing-controller'] });
});
after(() => c.close());

const CSRS = '/apis/certificates.k8s.io/v1/certificatesigningrequests';

/**
 * A kube-apiserver-client CSR named `name` for `subject` (a fresh key), created, approved and
 * signed: the certificate, and a client that presents it.
 */
async function signedClient(name: string, subject: forge.pki.CertificateField[], spec: object = {}): Promise<{ certPem: string; client: TestClient }> {
  const { privateKey, publicKey } = generateRsaKeyPair();
  const req = forge.pki.createCertificationRequest();
  req.publicKey = publicKey;
  req.setSubject(subject);
  req.sign(privateKey, forge.md.sha256.create());
  const body = {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name },
    spec: { request: Buffer.from(forge.pki.certificationRequestToPem(req)).toString('base64'), signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'], ...spec },
  };
  assert.equal((await c.admin.post(CSRS, body)).status, 201);
  const cur = (await c.admin.get(`${CSRS}/${name}`)).body;
  cur.status = { conditions: [{ type: 'Approved', status: 'True', reason: 'Test', message: 'approved by the test' }] };
  const approved = await c.admin.req('PUT', `${CSRS}/${name}/approval`, { body: cur });
  assert.equal(approved.status, 200, approved.text);
  const certificate = await retryUntil(async () => (await c.admin.get(`${CSRS}/${name}`)).body.status?.certificate as string | undefined, (v) => !!v, 300, 50);
  assert.ok(certificate, 'the signer wrote status.certificate');
  const certPem = Buffer.from(certificate, 'base64').toString('utf8');
  return { certPem, client: new TestClient(c.cp.url, { caPem: c.cp.pki.caCertPem, certPem, keyPem: forge.pki.privateKeyToPem(privateKey) }) };
}

test('an approved kube-apiserver-client CSR is signed by the cluster CA and the certificate authenticates as its subject', async () => {
  const { certPem, client: carol } = await signedClient('carol', [{ name: 'commonName', value: 'carol' }, { name: 'organizationName', value: 'auditors' }], { expirationSeconds: 3600 });
  const cert = forge.pki.certificateFromPem(certPem);
  const lifetime = (cert.validity.notAfter.getTime() - cert.validity.notBefore.getTime()) / 1000;
  assert.ok(lifetime <= 3600 + 5 * 60 + 1, `expirationSeconds honoured (${lifetime} s, with the 5 min backdating)`);

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
  const { client: dave } = await signedClient('dave', [{ name: 'commonName', value: 'system:kube-controller-manager' }, { name: 'commonName', value: 'dave' }, { name: 'organizationName', value: 'auditors' }]);
  try {
    const review = await dave.post('/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
    assert.equal(review.status, 201, review.text);
    assert.equal(review.body.status.userInfo.username, 'dave');
  } finally {
    dave.close();
  }
});
