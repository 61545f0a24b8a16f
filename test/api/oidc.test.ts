import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestProvider } from '../../src/authn/oidc/test-provider.ts';
import { TestClient } from '../helpers/client.ts';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';

/** An OIDC ID token from a local provider authenticates through the API server. */
const dir = mkdtempSync(join(tmpdir(), 'portcullis-oidc-'));
let provider: TestProvider;
let c: TestCluster;
let anon: TestClient;

before(async () => {
  provider = await TestProvider.start(new Date());
  const caFile = join(dir, 'oidc-ca.crt');
  writeFileSync(caFile, provider.ca.certPem);
  c = await startTestCluster({ oidc: { flags: { issuerUrl: provider.issuer, clientId: 'portcullis', usernameClaim: 'email', groupsClaim: 'groups', groupsPrefix: 'oidc:', caFile } } });
  anon = new TestClient(c.cp.url, { caPem: c.cp.pki.caCertPem });
});
after(async () => {
  anon?.close();
  await c?.close();
  await provider?.close();
  rmSync(dir, { recursive: true, force: true });
});

const now = () => Math.floor(Date.now() / 1000);

test('a valid ID token is the user named by its claims', async () => {
  const token = await provider.sign({ iss: provider.issuer, aud: 'portcullis', sub: 'u1', email: 'jane@example.com', email_verified: true, groups: ['admins'], exp: now() + 600, iat: now() });
  const r = await anon.get('/api/v1/namespaces', { headers: { authorization: `Bearer ${token}` } });
  assert.equal(r.status, 403, r.text);
  assert.equal(r.body.message, 'namespaces is forbidden: User "jane@example.com" cannot list resource "namespaces" in API group "" at the cluster scope');
});

test('wrong audience, expired, alg none and a stranger issuer are 401', async () => {
  const base = { iss: provider.issuer, aud: 'portcullis', sub: 'u1', email: 'jane@example.com', email_verified: true, iat: now() };
  const wrongAud = await provider.sign({ ...base, aud: 'other', exp: now() + 600 });
  const expired = await provider.sign({ ...base, exp: now() - 3600, iat: now() - 7200 });
  const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
  const payload = Buffer.from(JSON.stringify({ ...base, exp: now() + 600 })).toString('base64url');
  const none = `${header}.${payload}.`;
  const stranger = await provider.sign({ ...base, iss: 'https://elsewhere.example', exp: now() + 600 });
  for (const t of [wrongAud, expired, none, stranger]) {
    const r = await anon.get('/version', { headers: { authorization: `Bearer ${t}` } });
    assert.equal(r.status, 401, t.slice(0, 40));
  }
});
