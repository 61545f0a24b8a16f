import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestClient } from '../helpers/client.ts';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';

let c: TestCluster;
let anon: TestClient;
before(async () => {
  c = await startTestCluster();
  anon = new TestClient(c.cp.url, { caPem: c.cp.pki.caCertPem });
});
after(async () => {
  anon.close();
  await c.close();
});

const bearer = (t: string) => ({ headers: { authorization: `Bearer ${t}` } });

test('TokenRequest issues a bound token that authenticates as the service account until it is deleted', async () => {
  assert.equal((await c.admin.post('/api/v1/namespaces/default/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot' } })).status, 201);
  const tr = await c.admin.post('/api/v1/namespaces/default/serviceaccounts/robot/token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 600 } });
  assert.equal(tr.status, 201, tr.text);
  const token = tr.body.status.token as string;
  assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
  assert.ok(tr.body.status.expirationTimestamp);

  // Authenticated (the masters-only authorizer then refuses it, by name).
  const r = await anon.get('/api/v1/namespaces/default/pods', bearer(token));
  assert.equal(r.status, 403, r.text);
  assert.equal(r.body.message, 'pods is forbidden: User "system:serviceaccount:default:robot" cannot list resource "pods" in API group "" in the namespace "default"');

  const short = await c.admin.post('/api/v1/namespaces/default/serviceaccounts/robot/token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 10 } });
  assert.equal(short.status, 422, short.text);
  const missing = await c.admin.post('/api/v1/namespaces/default/serviceaccounts/nobody/token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} });
  assert.equal(missing.status, 404);

  await c.admin.delete('/api/v1/namespaces/default/serviceaccounts/robot');
  assert.equal((await anon.get('/api/v1/namespaces/default/pods', bearer(token))).status, 401);
  // A tampered token is 401 too.
  assert.equal((await anon.get('/version', bearer(token.slice(0, -4) + 'AAAA'))).status, 401);
});

test('the issuer publishes its discovery document and keys', async () => {
  const conf = await c.admin.get('/.well-known/openid-configuration');
  assert.equal(conf.status, 200, conf.text);
  assert.equal(conf.body.issuer, 'https://kubernetes.default.svc.cluster.local');
  const jwks = await c.admin.get('/openid/v1/jwks');
  assert.equal(jwks.status, 200);
  assert.ok(jwks.body.keys.length >= 1);
  assert.ok(jwks.body.keys[0].kid);
});
