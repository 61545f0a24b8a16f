import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestProvider } from '../../src/authn/oidc/test-provider.ts';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { kubectlSkip, runKubectl } from '../helpers/kubectl.ts';

/** kubectl authenticates with a client certificate, a static token, an OIDC ID token, and impersonates with --as. */
const MINOR = 33;
const skip = kubectlSkip(MINOR);
const dir = mkdtempSync(join(tmpdir(), 'portcullis-kauthn-'));
let provider: TestProvider;
let c: TestCluster;

before(async () => {
  if (skip) return;
  provider = await TestProvider.start(new Date());
  const caFile = join(dir, 'oidc-ca.crt');
  writeFileSync(caFile, provider.ca.certPem);
  const tokens = join(dir, 'tokens.csv');
  writeFileSync(tokens, 'kubectl-root-token,tina,uid-tina,"system:masters"\n');
  c = await startTestCluster({ authn: { tokenAuthFile: tokens }, oidc: { flags: { issuerUrl: provider.issuer, clientId: 'kubectl', usernameClaim: 'email', caFile } } });
});
after(async () => {
  await c?.close();
  await provider?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A kubeconfig with only the server and its CA: credentials come from the command line. */
function bareKubeconfig(): string {
  const path = join(dir, 'bare.kubeconfig');
  const ca = Buffer.from(c.cp.pki.caCertPem).toString('base64');
  writeFileSync(path, `apiVersion: v1\nkind: Config\nclusters:\n- name: p\n  cluster: {server: "${c.cp.url}", certificate-authority-data: ${ca}}\nusers:\n- name: u\n  user: {}\ncontexts:\n- name: p\n  context: {cluster: p, user: u}\ncurrent-context: p\n`);
  return path;
}

test('kubectl with a client certificate, a token, an OIDC token and --as', { skip }, async () => {
  const admin = join(c.dataDir, 'admin.kubeconfig');
  const who = await runKubectl(MINOR, admin, ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
  assert.equal(who.stdout, 'admin', who.stderr);

  const bare = bareKubeconfig();
  const tok = await runKubectl(MINOR, bare, ['--token', 'kubectl-root-token', 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
  assert.equal(tok.stdout, 'tina', tok.stderr);
  const badTok = await runKubectl(MINOR, bare, ['--token', 'wrong', 'get', 'ns']);
  assert.match(badTok.stderr, /error: You must be logged in to the server/);

  const now = Math.floor(Date.now() / 1000);
  const idToken = await provider.sign({ iss: provider.issuer, aud: 'kubectl', sub: 's', email: 'oona@example.com', email_verified: true, iat: now, exp: now + 600 });
  // --raw needs no discovery, which only system:masters may read until RBAC's system:discovery exists.
  const oidc = await runKubectl(MINOR, bare, ['--token', idToken, 'get', '--raw', '/api/v1/namespaces']);
  assert.match(oidc.stderr, /User "oona@example.com" cannot list resource "namespaces"/);

  const as = await runKubectl(MINOR, admin, ['--as', 'ivan', '--as-group', 'qa', 'get', '--raw', '/api/v1/namespaces/default/pods']);
  assert.match(as.stderr, /Error from server \(Forbidden\): pods is forbidden: User "ivan" cannot list resource "pods" in API group "" in the namespace "default"/);
});
