import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { after, before, test } from 'node:test';
import { createCA } from '../pki/ca.ts';
import { issueCert } from '../pki/certs.ts';
import { selectorAttributes } from './selector-attributes.ts';
import type { AuthzAttributes } from './types.ts';
import { WebhookAuthorizer, loadWebhookTarget, type WebhookTarget } from './webhook.ts';

// The TLS handshake checks validity against the real clock, so the certificates use it too.
const NOW = new Date();
const ca = createCA({ commonName: 'webhook-ca', now: NOW, validityDays: 1 });
const serverCert = issueCert(ca, { commonName: 'webhook', usage: 'server', now: NOW, validityDays: 1 });
const clientCert = issueCert(ca, { commonName: 'kube-apiserver', usage: 'client', now: NOW, validityDays: 1 });

let server: Server;
let url = '';
const hits: Array<{ body: Record<string, unknown>; clientCN: string; auth?: string }> = [];

/** The fake webhook answers by user name. */
function answer(user: string): { code: number; body: string } | 'hang' | 'trickle' {
  const sar = (status: object) => JSON.stringify({ apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', status });
  switch (user) {
    case 'alice': return { code: 200, body: sar({ allowed: true, reason: 'alice may' }) };
    case 'mallory': return { code: 200, body: sar({ allowed: false, denied: true, reason: 'mallory may not' }) };
    case 'bob': return { code: 200, body: sar({ allowed: false }) };
    case 'broken-policy': return { code: 200, body: sar({ allowed: false, evaluationError: 'policy failed to compile' }) };
    case 'garbage': return { code: 200, body: '<html>oops' };
    case 'wrong-kind': return { code: 200, body: JSON.stringify({ apiVersion: 'v1', kind: 'Status', status: { allowed: true } }) };
    case 'error': return { code: 500, body: 'internal error' };
    case 'slow': return 'hang';
    case 'trickle': return 'trickle';
    default: return { code: 200, body: sar({}) };
  }
}

before(async () => {
  server = createServer({ key: serverCert.keyPem, cert: serverCert.certPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString('utf8')));
    req.on('end', () => {
      const body = JSON.parse(text) as { spec: { user: string } };
      hits.push({ body, clientCN: String((req.socket as TLSSocket).getPeerCertificate()?.subject?.CN), auth: req.headers.authorization });
      const a = answer(body.spec.user);
      if (a === 'hang') return;
      if (a === 'trickle') {
        // A byte every 50 ms: never silent long enough for an idle limit.
        res.writeHead(200, { 'content-type': 'application/json' }).write(' ');
        const t = setInterval(() => res.write(' '), 50);
        return void res.on('close', () => clearInterval(t));
      }
      res.writeHead(a.code, { 'content-type': 'application/json' }).end(a.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/authorize`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

function target(): WebhookTarget {
  return { server: url, caPem: ca.certPem, clientCertPem: clientCert.certPem, clientKeyPem: clientCert.keyPem };
}
function attrs(user: string, over: Partial<AuthzAttributes> = {}): AuthzAttributes {
  return { user: { username: user, groups: ['system:authenticated'], uid: 'u1', extra: { scopes: ['a'] } }, verb: 'get', isResourceRequest: true, path: '/api/v1/namespaces/ns/pods/p', apiGroup: '', apiVersion: 'v1', namespace: 'ns', resource: 'pods', subresource: 'log', name: 'p', ...over };
}

test('decisions from the webhook response', async () => {
  const authz = new WebhookAuthorizer({ target: target(), timeoutMs: 300 });
  const cases: Array<[string, string, 'allow' | 'deny' | 'no-opinion', RegExp]> = [
    ['allowed', 'alice', 'allow', /^alice may$/],
    ['denied', 'mallory', 'deny', /^mallory may not$/],
    ['no opinion', 'bob', 'no-opinion', /^$/],
    ['evaluation error without a decision', 'broken-policy', 'no-opinion', /evaluation error: policy failed to compile/],
    ['garbage body fails closed', 'garbage', 'deny', /authorization webhook failed: response is not JSON/],
    ['wrong kind fails closed', 'wrong-kind', 'deny', /kind is "Status"/],
    ['non-2xx fails closed', 'error', 'deny', /authorization webhook failed: status 500/],
    ['slow webhook times out closed', 'slow', 'deny', /no response within 300ms/],
    // The limit covers the whole exchange, so an answer that never ends cannot hold the request.
    ['trickling webhook times out closed', 'trickle', 'deny', /no response within 300ms/],
  ];
  for (const [name, user, want, reason] of cases) {
    const got = await authz.authorize(attrs(user));
    assert.equal(got.decision, want, name);
    // A failure is an evaluation error (a 500 from the API server), not a reason shown to the client.
    assert.match(got.evaluationError ?? got.reason, reason, name);
  }
});

test('the request is a v1 SubjectAccessReview sent with the client certificate', async () => {
  const authz = new WebhookAuthorizer({ target: target() });
  hits.length = 0;
  await authz.authorize(attrs('alice'));
  await authz.authorize(attrs('alice', { isResourceRequest: false, path: '/healthz', verb: 'get', user: { username: 'alice', groups: [] } }));
  assert.equal(hits[0]?.clientCN, 'kube-apiserver');
  assert.deepEqual(hits[0]?.body, {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: { user: 'alice', groups: ['system:authenticated'], uid: 'u1', extra: { scopes: ['a'] }, resourceAttributes: { namespace: 'ns', verb: 'get', group: '', version: 'v1', resource: 'pods', subresource: 'log', name: 'p' } },
  });
  assert.deepEqual((hits[1]?.body as { spec: unknown }).spec, { user: 'alice', groups: [], nonResourceAttributes: { path: '/healthz', verb: 'get' } });
});

test('a list\'s selectors go as requirements (In/NotIn, Exists/DoesNotExist; a label gt is left out), and so into the cache key', async () => {
  const authz = new WebhookAuthorizer({ target: target() });
  hits.length = 0;
  const list = selectorAttributes({ fieldSelector: 'spec.nodeName=n1,status.phase!=Failed', labelSelector: 'app in (b,a),tier=web,!gone,env,rank>1' });
  await authz.authorize(attrs('alice', { verb: 'list', subresource: '', name: '', ...list }));
  await authz.authorize(attrs('alice', { verb: 'list', subresource: '', name: '' }));
  assert.equal(hits.length, 2, 'a different selector is a different question');
  const ra = (hits[0]?.body as { spec: { resourceAttributes: Record<string, unknown> } }).spec.resourceAttributes;
  assert.deepEqual([ra.fieldSelector, ra.labelSelector], [
    { requirements: [{ key: 'spec.nodeName', operator: 'In', values: ['n1'] }, { key: 'status.phase', operator: 'NotIn', values: ['Failed'] }] },
    { requirements: [{ key: 'app', operator: 'In', values: ['a', 'b'] }, { key: 'env', operator: 'Exists' }, { key: 'gone', operator: 'DoesNotExist' }, { key: 'tier', operator: 'In', values: ['web'] }] },
  ]);
  const plain = (hits[1]?.body as { spec: { resourceAttributes: Record<string, unknown> } }).spec.resourceAttributes;
  assert.equal('fieldSelector' in plain || 'labelSelector' in plain, false);
});

test('answers are cached by the full attributes for their TTL; failures are not cached', async () => {
  let now = NOW.getTime();
  const authz = new WebhookAuthorizer({ target: target(), authorizedTtlMs: 60_000, unauthorizedTtlMs: 10_000, timeoutMs: 300, now: () => new Date(now) });
  const cases: Array<[string, () => Promise<unknown>, number]> = [
    ['first allowed asks', () => authz.authorize(attrs('alice')), 1],
    ['repeat is cached', () => authz.authorize(attrs('alice')), 0],
    ['another name is a different key', () => authz.authorize(attrs('alice', { name: 'q' })), 1],
    ['first denied asks', () => authz.authorize(attrs('mallory')), 1],
    ['denied is cached', () => authz.authorize(attrs('mallory')), 0],
    ['no opinion asks', () => authz.authorize(attrs('bob')), 1],
    ['no opinion is cached', () => authz.authorize(attrs('bob')), 0],
    ['a failure asks', () => authz.authorize(attrs('error')), 1],
    ['a failure is asked again', () => authz.authorize(attrs('error')), 1],
    ['unauthorized TTL passes', async () => { now += 10_001; await authz.authorize(attrs('mallory')); }, 1],
    ['authorized still cached', () => authz.authorize(attrs('alice')), 0],
    ['authorized TTL passes', async () => { now += 50_000; await authz.authorize(attrs('alice')); }, 1],
  ];
  for (const [name, run, wantHits] of cases) {
    hits.length = 0;
    await run();
    assert.equal(hits.length, wantHits, name);
  }
  assert.equal((await authz.authorize(attrs('mallory'))).decision, 'deny', 'cached deny is still a deny');
});

test('an unreachable or untrusted webhook fails closed', async () => {
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  const other = createCA({ commonName: 'other', now: NOW, validityDays: 1 });
  const cases: Array<[string, WebhookTarget]> = [
    ['down', { ...target(), server: `https://127.0.0.1:${port}/` }],
    ['CA does not match', { ...target(), caPem: other.certPem }],
  ];
  for (const [name, t] of cases) {
    const got = await new WebhookAuthorizer({ target: t }).authorize(attrs('alice'));
    assert.equal(got.decision, 'deny', name);
    assert.match(got.evaluationError ?? '', /^authorization webhook failed: /, name);
  }
  assert.throws(() => new WebhookAuthorizer({ target: { server: 'http://127.0.0.1:1/' } }), /must be an https/);
});

test('the kubeconfig-format config file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'webhook-'));
  writeFileSync(join(dir, 'ca.crt'), ca.certPem);
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const file = join(dir, 'webhook.kubeconfig');
  writeFileSync(file, [
    'apiVersion: v1', 'kind: Config',
    'clusters:', '- name: other', '  cluster: {server: "https://example.invalid"}', `- name: authz`, `  cluster: {server: "${url}", certificate-authority: ca.crt}`,
    'users:', `- name: apiserver`, `  user: {client-certificate-data: ${b64(clientCert.certPem)}, client-key-data: ${b64(clientCert.keyPem)}}`,
    'contexts:', '- name: webhook', '  context: {cluster: authz, user: apiserver}',
    'current-context: webhook', '',
  ].join('\n'));
  assert.deepEqual(loadWebhookTarget(file), target());
  assert.equal((await WebhookAuthorizer.fromConfigFile(file).authorize(attrs('alice'))).decision, 'allow');
  const bad: Array<[string, string, RegExp]> = [
    ['no current-context', 'apiVersion: v1\nkind: Config\n', /^Error: authorization webhook config '.*': invalid configuration: no context chosen$/],
    ['missing context', 'current-context: nope\ncontexts: []\n', /context was not found for specified context: nope$/],
    ['missing CA file', 'clusters:\n- name: c\n  cluster: {server: "https://x", certificate-authority: missing.crt}\ncontexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n', /unable to read certificate-authority \/\S+\/missing\.crt for c due to open \/\S+\/missing\.crt: no such file or directory$/],
    ['cert without key', `clusters:\n- name: c\n  cluster: {server: "https://x"}\nusers:\n- name: u\n  user: {client-certificate: ca.crt}\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`, /client-key-data or client-key must be specified for u/],
  ];
  for (const [name, text, re] of bad) {
    const p = join(dir, `${name}.kubeconfig`);
    writeFileSync(p, text);
    assert.throws(() => loadWebhookTarget(p), re, name);
  }
});

test('tls-server-name is the name the webhook certificate is checked against', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'webhook-sni-'));
  const b64 = (x: string) => Buffer.from(x).toString('base64');
  const file = join(dir, 'webhook.kubeconfig');
  writeFileSync(file, [
    'clusters:', `- name: c`, `  cluster: {server: "${url}", certificate-authority-data: ${b64(ca.certPem)}, tls-server-name: not-the-webhook.example}`,
    'users:', `- name: u`, `  user: {client-certificate-data: ${b64(clientCert.certPem)}, client-key-data: ${b64(clientCert.keyPem)}}`,
    'contexts: [{name: x, context: {cluster: c, user: u}}]', 'current-context: x', '',
  ].join('\n'));
  const t = loadWebhookTarget(file);
  assert.equal(t.serverName, 'not-the-webhook.example');
  const wrong = await new WebhookAuthorizer({ target: t }).authorize(attrs('alice'));
  assert.equal(wrong.decision, 'deny');
  assert.match(wrong.evaluationError ?? '', /not-the-webhook\.example/);
  // The serving certificate names localhost (and 127.0.0.1): checked as localhost, it passes.
  assert.equal((await new WebhookAuthorizer({ target: { ...t, serverName: 'localhost' } }).authorize(attrs('alice'))).decision, 'allow');
});

test('the decision cache is bounded: new attribute sets push out the oldest', async () => {
  const authz = new WebhookAuthorizer({ target: target(), cacheEntries: 2 });
  for (const name of ['a', 'b', 'c']) await authz.authorize(attrs('alice', { name }));
  hits.length = 0;
  await authz.authorize(attrs('alice', { name: 'c' }));
  await authz.authorize(attrs('alice', { name: 'b' }));
  assert.equal(hits.length, 0, 'the two newest are cached');
  await authz.authorize(attrs('alice', { name: 'a' }));
  assert.equal(hits.length, 1, 'the oldest was evicted');
});

test('a kubeconfig tokenFile is re-read about every minute, as client-go\'s transport re-reads it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'webhook-token-file-'));
  const file = join(dir, 'token');
  writeFileSync(file, 'first\n');
  const kc = join(dir, 'webhook.kubeconfig');
  writeFileSync(kc, JSON.stringify({ clusters: [{ name: 'c', cluster: { server: url, 'certificate-authority-data': Buffer.from(ca.certPem).toString('base64') } }], users: [{ name: 'u', user: { tokenFile: 'token' } }], contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }], 'current-context': 'x' }));
  const t = loadWebhookTarget(kc);
  assert.equal(t.tokenFile, file);
  let now = NOW.getTime();
  // Each call names another pod so the decision cache does not answer it.
  const authz = new WebhookAuthorizer({ target: t, now: () => new Date(now) });
  const sent = async (name: string): Promise<string | undefined> => {
    hits.length = 0;
    await authz.authorize(attrs('alice', { name }));
    return hits[0]?.auth;
  };
  assert.equal(await sent('p1'), 'Bearer first');
  writeFileSync(file, 'second\n');
  now += 49_000;
  assert.equal(await sent('p2'), 'Bearer first');
  now += 1_000;
  assert.equal(await sent('p3'), 'Bearer second');
});
