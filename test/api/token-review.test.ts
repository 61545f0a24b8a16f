import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPassword } from '../../src/authn/password-file.ts';
import { TestClient } from '../helpers/client.ts';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';

/** TokenReview, bootstrap tokens and the (hashed) password file through the API server. */
const dir = mkdtempSync(join(tmpdir(), 'portcullis-tr-'));
let c: TestCluster;
let anon: TestClient;
before(async () => {
  const tokens = join(dir, 'tokens.csv');
  writeFileSync(tokens, 'static-token,sam,uid-sam,ops\n');
  const passwords = join(dir, 'passwords.csv');
  writeFileSync(passwords, `${await hashPassword('s3cret', { N: 16384 })},pat,uid-pat,"system:masters"\n`);
  c = await startTestCluster({ authn: { tokenAuthFile: tokens, enableBootstrapTokenAuth: true, basicAuthFile: passwords } });
  anon = new TestClient(c.cp.url, { caPem: c.cp.pki.caCertPem });
});
after(async () => {
  anon.close();
  await c.close();
  rmSync(dir, { recursive: true, force: true });
});

const review = (token: string) => c.admin.post('/apis/authentication.k8s.io/v1/tokenreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } });

test('TokenReview answers for static and service-account tokens, and says no for garbage', async () => {
  const r = await review('static-token');
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.status.authenticated, true);
  assert.equal(r.body.status.user.username, 'sam');
  assert.deepEqual(r.body.status.user.groups, ['ops', 'system:authenticated']);
  await c.admin.post('/api/v1/namespaces/default/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'rv' } });
  const tr = await c.admin.post('/api/v1/namespaces/default/serviceaccounts/rv/token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} });
  const sa = await review(tr.body.status.token);
  assert.equal(sa.body.status.user.username, 'system:serviceaccount:default:rv');
  const bad = await review('not-a-token');
  assert.equal(bad.status, 201);
  assert.equal(bad.body.status.authenticated, undefined);
  const empty = await c.admin.post('/apis/authentication.k8s.io/v1/tokenreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: {} });
  assert.equal(empty.status, 400);
});

test('bootstrap tokens authenticate from their kube-system Secret until it expires or goes', async () => {
  const secret = (exp: string) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'bootstrap-token-abcdef', namespace: 'kube-system' },
    type: 'bootstrap.kubernetes.io/token',
    stringData: { 'token-id': 'abcdef', 'token-secret': '0123456789abcdef', 'usage-bootstrap-authentication': 'true', 'auth-extra-groups': 'system:bootstrappers:workers', expiration: exp },
  });
  const mk = await c.admin.post('/api/v1/namespaces/kube-system/secrets', secret(new Date(Date.now() + 3600_000).toISOString().replace(/\.\d+Z$/, 'Z')));
  assert.equal(mk.status, 201, mk.text);
  const r = await review('abcdef.0123456789abcdef');
  assert.equal(r.body.status.user.username, 'system:bootstrap:abcdef');
  assert.deepEqual(r.body.status.user.groups, ['system:bootstrappers', 'system:bootstrappers:workers', 'system:authenticated']);
  assert.equal((await anon.get('/version', { headers: { authorization: 'Bearer abcdef.0123456789abcdeX' } })).status, 401);
  await c.admin.delete('/api/v1/namespaces/kube-system/secrets/bootstrap-token-abcdef');
  assert.equal((await anon.get('/version', { headers: { authorization: 'Bearer abcdef.0123456789abcdef' } })).status, 401);
});

test('basic auth with a hashed password file', async () => {
  const good = Buffer.from('pat:s3cret').toString('base64');
  const bad = Buffer.from('pat:wrong').toString('base64');
  assert.equal((await anon.get('/api/v1/namespaces', { headers: { authorization: `Basic ${good}` } })).status, 200);
  assert.equal((await anon.get('/api/v1/namespaces', { headers: { authorization: `Basic ${bad}` } })).status, 401);
});
