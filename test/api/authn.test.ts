import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCA } from '../../src/pki/ca.ts';
import { issueCert } from '../../src/pki/certs.ts';
import { TestClient } from '../helpers/client.ts';
import { clusterPerFile } from '../helpers/cluster.ts';

const c = clusterPerFile();

test('no client certificate is 401 Unauthorized', async () => {
  const anon = new TestClient(c.cp.url, { caPem: c.cp.pki.caCertPem });
  try {
    const r = await anon.get('/api/v1/namespaces');
    assert.equal(r.status, 401);
    assert.equal(r.body.kind, 'Status');
    assert.equal(r.body.reason, 'Unauthorized');
    assert.equal(r.body.message, 'Unauthorized');
  } finally {
    anon.close();
  }
});

test('a certificate from another CA is 401, not anonymous', async () => {
  const other = createCA({ commonName: 'evil-ca', now: new Date(), validityDays: 1 });
  const cert = issueCert(other, { commonName: 'admin', organizations: ['system:masters'], usage: 'client', now: new Date(), validityDays: 1 });
  const evil = new TestClient(c.cp.url, { caPem: c.cp.pki.caCertPem, certPem: cert.certPem, keyPem: cert.keyPem });
  try {
    const r = await evil.get('/api/v1/namespaces');
    assert.equal(r.status, 401);
    // The body is never read for an unauthenticated request, so nothing is created.
    const w = await evil.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'evil' } });
    assert.equal(w.status, 401);
    assert.equal((await c.admin.get('/api/v1/namespaces/evil')).status, 404);
  } finally {
    evil.close();
  }
});

test('an expired certificate is 401', async () => {
  const ca = { certPem: c.cp.pki.caCertPem, keyPem: c.cp.pki.caKeyPem };
  const past = new Date(Date.now() - 3 * 86400_000);
  const cert = issueCert(ca, { commonName: 'admin', organizations: ['system:masters'], usage: 'client', now: past, validityDays: 1 });
  const old = new TestClient(c.cp.url, { caPem: c.cp.pki.caCertPem, certPem: cert.certPem, keyPem: cert.keyPem });
  try {
    assert.equal((await old.get('/api/v1/namespaces')).status, 401);
  } finally {
    old.close();
  }
});

test('a server certificate (no clientAuth usage) is 401', async () => {
  const ca = { certPem: c.cp.pki.caCertPem, keyPem: c.cp.pki.caKeyPem };
  const cert = issueCert(ca, { commonName: 'admin', usage: 'server', now: new Date(), validityDays: 1 });
  const srv = new TestClient(c.cp.url, { caPem: c.cp.pki.caCertPem, certPem: cert.certPem, keyPem: cert.keyPem });
  try {
    assert.equal((await srv.get('/api/v1/namespaces')).status, 401);
  } finally {
    srv.close();
  }
});

test('a valid user outside system:masters is 403 with upstream messages', async () => {
  const alice = c.as('alice', ['dev']);
  const r = await alice.get('/api/v1/namespaces/b/pods');
  assert.equal(r.status, 403);
  assert.equal(r.body.reason, 'Forbidden');
  assert.equal(r.body.message, 'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "b"');
  assert.deepEqual(r.body.details, { kind: 'pods' });
  const g = await alice.get('/apis/apps/v1/namespaces/b/deployments/web/scale');
  assert.equal(g.body.message, 'deployments.apps "web" is forbidden: User "alice" cannot get resource "deployments/scale" in API group "apps" in the namespace "b"');
  const cl = await alice.get('/api/v1/nodes');
  assert.equal(cl.body.message, 'nodes is forbidden: User "alice" cannot list resource "nodes" in API group "" at the cluster scope');
  // /version is public information (system:public-info-viewer); other paths are not.
  assert.equal((await alice.get('/version')).status, 200);
  const nr = await alice.get('/logs');
  assert.equal(nr.status, 403);
  assert.equal(nr.body.message, 'forbidden: User "alice" cannot get path "/logs"');
});

test('system:masters members are allowed', async () => {
  const root = c.as('root', ['system:masters']);
  assert.equal((await root.get('/api/v1/namespaces')).status, 200);
});
