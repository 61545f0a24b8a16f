/** X509Authenticator over a real TLS handshake, with a certificate issued as the CSR signer issues it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { createCA } from '../pki/ca.ts';
import { newAuthority } from '../cluster/controllers/certificates/authority.ts';
import { parseRequest } from '../cluster/controllers/certificates/csr-request.ts';
import { rsaCsr } from '../cluster/controllers/certificates/test-csr.ts';
import { X509Authenticator } from './x509.ts';
import type { AuthnResult } from './types.ts';

const NOW = Date.now();
const ca = createCA({ commonName: 'test-ca', now: new Date(NOW - 86_400_000), validityDays: 30 });

/** What the authenticator makes of `certPem` presented by a real TLS client. */
async function authenticateOverTls(certPem: string, keyPem: string): Promise<AuthnResult> {
  const authn = new X509Authenticator({ clientCaPem: ca.certPem });
  const server = tls.createServer({ cert: ca.certPem, key: ca.keyPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: false });
  const result = new Promise<AuthnResult>((resolve, reject) => {
    server.once('secureConnection', (socket) => {
      authn.authenticate({ headers: {}, socket }).then(resolve, reject).finally(() => socket.destroy());
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = tls.connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', cert: certPem, key: keyPem, rejectUnauthorized: false });
  client.on('error', () => {});
  try {
    return await result;
  } finally {
    client.destroy();
    server.close();
  }
}

test('of several CNs the last one is the user, as Go reads it and as the CSR approver judged the request', async () => {
  // A node may have its own client certificate renewed (selfnodeclient): the approver and the
  // signer compare spec.username with the request's CN, which is the last CN, as Go's pkix.Name.
  const csr = rsaCsr({ commonName: 'system:node:n1', commonNamesBefore: ['system:kube-controller-manager'], organizations: ['system:nodes'] });
  const req = parseRequest(csr.request);
  assert.equal(req.commonName, 'system:node:n1', 'what the approver and signer judge');
  const certPem = newAuthority(ca).sign(req, ['digital signature', 'client auth'], 3_600_000, NOW);
  const r = await authenticateOverTls(certPem, csr.keyPem);
  assert.equal(r.kind, 'authenticated');
  assert.deepEqual(r.kind === 'authenticated' && r.user, { username: 'system:node:n1', groups: ['system:nodes'] });
});

test('a certificate with one CN and several Os: that CN, every O in order', async () => {
  const csr = rsaCsr({ commonName: 'alice', organizations: ['devs', 'ops'] });
  const certPem = newAuthority(ca).sign(parseRequest(csr.request), ['client auth'], 3_600_000, NOW);
  const r = await authenticateOverTls(certPem, csr.keyPem);
  assert.deepEqual(r.kind === 'authenticated' && r.user, { username: 'alice', groups: ['devs', 'ops'] });
});
