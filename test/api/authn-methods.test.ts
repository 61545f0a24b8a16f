import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:https';
import { createCA } from '../../src/pki/ca.ts';
import { issueCert } from '../../src/pki/certs.ts';
import { TestClient } from '../helpers/client.ts';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';

/** Token file, anonymous, authenticating proxy and impersonation through the real server. */
const dir = mkdtempSync(join(tmpdir(), 'portcullis-authn-'));
const proxyCa = createCA({ commonName: 'front-proxy-ca', now: new Date(), validityDays: 1 });
const proxyCert = issueCert(proxyCa, { commonName: 'front-proxy-client', usage: 'client', now: new Date(), validityDays: 1 });
const rogueProxy = issueCert(proxyCa, { commonName: 'rogue', usage: 'client', now: new Date(), validityDays: 1 });
let c: TestCluster;
let caPem: string;

before(async () => {
  const tokens = join(dir, 'tokens.csv');
  writeFileSync(tokens, 'root-token,root,uid-root,"system:masters,ops"\nalice-token,alice,uid-alice,dev\n');
  c = await startTestCluster({ authn: { tokenAuthFile: tokens, anonymous: true, requestHeader: { clientCaPem: proxyCa.certPem, allowedNames: ['front-proxy-client'] } } });
  caPem = c.cp.pki.caCertPem;
});
after(async () => {
  await c.close();
  rmSync(dir, { recursive: true, force: true });
});

const who = (client: TestClient, headers: Record<string, string> = {}) =>
  client.post('/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, { headers });

test('a static token authenticates with its groups; system:masters via the token file is allowed', async () => {
  const anon = new TestClient(c.cp.url, { caPem });
  try {
    const r = await who(anon, { authorization: 'Bearer root-token' });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.status.userInfo.username, 'root');
    assert.equal(r.body.status.userInfo.uid, 'uid-root');
    assert.deepEqual(r.body.status.userInfo.groups, ['system:masters', 'ops', 'system:authenticated']);
    const alice = await anon.get('/api/v1/namespaces', { headers: { authorization: 'Bearer alice-token' } });
    assert.equal(alice.status, 403);
    assert.match(alice.body.message, /User "alice" cannot list resource "namespaces"/);
  } finally {
    anon.close();
  }
});

test('an unknown, duplicated or malformed bearer token is 401, never anonymous', async () => {
  const anon = new TestClient(c.cp.url, { caPem });
  try {
    assert.equal((await anon.get('/version', { headers: { authorization: 'Bearer nope' } })).status, 401);
    assert.equal((await anon.get('/version', { headers: { authorization: 'Bearer a b' } })).status, 401);
    const huge = await anon.get('/version', { headers: { authorization: `Bearer ${'x'.repeat(20 * 1024)}` } });
    assert.equal(huge.status, 401);
    assert.equal(huge.body.kind, 'Status');
    // Two Authorization header lines: refused rather than picking one.
    const dup = await rawRequest(c.cp.url, caPem, ['Authorization: Bearer root-token', 'Authorization: Bearer alice-token']);
    assert.equal(dup, 401);
  } finally {
    anon.close();
  }
});

test('no credential at all is system:anonymous when anonymous auth is on', async () => {
  const anon = new TestClient(c.cp.url, { caPem });
  try {
    const r = await anon.get('/api/v1/namespaces');
    assert.equal(r.status, 403);
    assert.equal(r.body.message, 'namespaces is forbidden: User "system:anonymous" cannot list resource "namespaces" in API group "" at the cluster scope');
  } finally {
    anon.close();
  }
});

test('the authenticating proxy is trusted only with its CA and an allowed name; its headers are stripped otherwise', async () => {
  const proxy = new TestClient(c.cp.url, { caPem, certPem: proxyCert.certPem, keyPem: proxyCert.keyPem });
  const rogue = new TestClient(c.cp.url, { caPem, certPem: rogueProxy.certPem, keyPem: rogueProxy.keyPem });
  const plain = new TestClient(c.cp.url, { caPem });
  try {
    const ok = await who(proxy, { 'x-remote-user': 'root2', 'x-remote-group': 'system:masters' });
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.body.status.userInfo.username, 'root2');
    const bad = await who(rogue, { 'x-remote-user': 'root2', 'x-remote-group': 'system:masters' });
    assert.equal(bad.status, 401);
    // Without the proxy certificate the headers are ignored: the caller is anonymous, not root2.
    const forged = await plain.get('/api/v1/namespaces', { headers: { 'x-remote-user': 'root2', 'x-remote-group': 'system:masters' } });
    assert.equal(forged.status, 403);
    assert.match(forged.body.message, /system:anonymous/);
  } finally {
    proxy.close();
    rogue.close();
    plain.close();
  }
});

test('impersonation takes effect only when the impersonate verb is allowed', async () => {
  const asBob = await who(c.admin, { 'impersonate-user': 'bob', 'impersonate-group': 'dev' });
  assert.equal(asBob.status, 201, asBob.text);
  assert.equal(asBob.body.status.userInfo.username, 'bob');
  assert.deepEqual(asBob.body.status.userInfo.groups, ['dev', 'system:authenticated']);
  const listAsBob = await c.admin.get('/api/v1/namespaces/default/pods', { headers: { 'impersonate-user': 'bob' } });
  assert.equal(listAsBob.status, 403);
  assert.equal(listAsBob.body.message, 'pods is forbidden: User "bob" cannot list resource "pods" in API group "" in the namespace "default"');
  const anon = new TestClient(c.cp.url, { caPem });
  try {
    const denied = await anon.get('/api/v1/namespaces', { headers: { authorization: 'Bearer alice-token', 'impersonate-user': 'root' } });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.message, 'users "root" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope');
    const groupOnly = await c.admin.get('/version', { headers: { 'impersonate-group': 'x' } });
    assert.equal(groupOnly.status, 400);
  } finally {
    anon.close();
  }
});

/** A request with raw header lines, to send what Node's client would merge. */
function rawRequest(url: string, ca: string, lines: string[]): Promise<number> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const r = request({ host: u.hostname, port: u.port, path: '/version', method: 'GET', ca, servername: 'localhost', agent: false, headers: {} }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    r.on('error', reject);
    for (const l of lines) {
      const i = l.indexOf(':');
      r.appendHeader?.(l.slice(0, i), l.slice(i + 1).trim());
    }
    r.end();
  });
}
