import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { createCA } from '../../src/pki/ca.ts';
import { issueCert } from '../../src/pki/certs.ts';
import { TestClient } from '../helpers/client.ts';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';

/**
 * Webhook token authentication (--authentication-token-webhook-config-file) through the real API
 * server: a TokenReview webhook on 127.0.0.1 decides bearer tokens nobody else knows. Two clusters
 * share the webhook: one with the cache off (every request asks the webhook, so caching cannot
 * hide a failure) and one with a cache, for what the cache must and must not remember.
 * Anonymous auth is on in both, so a token that failed to fail closed would show up as
 * system:anonymous rather than as a 401.
 */
const dir = mkdtempSync(join(tmpdir(), 'portcullis-authn-webhook-'));
const now = new Date();
const webhookCa = createCA({ commonName: 'token-webhook-ca', now, validityDays: 1 });
const serving = issueCert(webhookCa, { commonName: 'token-webhook', usage: 'server', now, validityDays: 1 });
// The API server's credential towards the webhook, named in the kubeconfig; the webhook demands it.
const apiserverCert = issueCert(webhookCa, { commonName: 'kube-apiserver', usage: 'client', now, validityDays: 1 });

type Answer = 'review' | 'garbage' | 'http-500';

interface Received {
  method: string;
  url: string;
  contentType: string | undefined;
  clientCn: string | undefined;
  body: any;
}

/** The fake webhook: a user per accepted token, authenticated:false for any other token. */
const webhook = {
  answer: 'review' as Answer,
  users: new Map<string, { username: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> }>(),
  received: [] as Received[],
  port: 0,
  server: undefined as Server | undefined,
  reviewsOf(token: string): number {
    return this.received.filter((r) => r.body?.spec?.token === token).length;
  },
};

function startWebhook(port: number): Promise<void> {
  const server = createServer({ cert: serving.certPem, key: serving.keyPem, ca: webhookCa.certPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: any;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = undefined;
      }
      const cn = (req.socket as TLSSocket).getPeerCertificate().subject?.CN;
      webhook.received.push({ method: req.method ?? '', url: req.url ?? '', contentType: req.headers['content-type'], clientCn: Array.isArray(cn) ? cn.join(',') : cn, body });
      const review = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview' };
      if (webhook.answer === 'garbage') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"apiVersion": "authentication.k8s.io/v1", "status": {"authenticated": tr');
        return;
      }
      const user = webhook.users.get(String(body?.spec?.token));
      const status = user ? { authenticated: true, user } : { authenticated: false };
      // A failing webhook that still says "yes" in its body: a non-2xx answer must never be believed.
      const code = webhook.answer === 'http-500' ? 500 : 200;
      res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify({ ...review, status: webhook.answer === 'http-500' ? { authenticated: true, user: { username: 'jane', groups: ['system:masters'] } } : status }));
    });
  });
  webhook.server = server;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      webhook.port = (server.address() as AddressInfo).port;
      resolve();
    });
  });
}

/** "Down": nothing listens on the webhook's port any more, so every review is a refused connection. */
async function stopWebhook(): Promise<void> {
  const s = webhook.server;
  webhook.server = undefined;
  if (!s) return;
  s.closeAllConnections();
  await new Promise<void>((resolve) => s.close(() => resolve()));
}

/** Runs `body` with the webhook down, and brings it back on the same port afterwards. */
async function whileDown(body: () => Promise<void>): Promise<void> {
  await stopWebhook();
  try {
    await body();
  } finally {
    await startWebhook(webhook.port);
  }
}

async function whileAnswering(answer: Answer, body: () => Promise<void>): Promise<void> {
  webhook.answer = answer;
  try {
    await body();
  } finally {
    webhook.answer = 'review';
  }
}

let uncached: TestCluster;
let cached: TestCluster;
let uncachedClient: TestClient;
let cachedClient: TestClient;

before(async () => {
  await startWebhook(0);
  // Files beside the kubeconfig, named relatively, as client-go resolves them.
  writeFileSync(join(dir, 'webhook-ca.crt'), webhookCa.certPem);
  writeFileSync(join(dir, 'apiserver.crt'), apiserverCert.certPem);
  writeFileSync(join(dir, 'apiserver.key'), apiserverCert.keyPem);
  const kubeconfig = join(dir, 'token-webhook.kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: token-webhook',
      '  cluster:',
      `    server: https://127.0.0.1:${webhook.port}/authenticate`,
      '    certificate-authority: webhook-ca.crt',
      'users:',
      '- name: kube-apiserver',
      '  user:',
      '    client-certificate: apiserver.crt',
      '    client-key: apiserver.key',
      'contexts:',
      '- name: webhook',
      '  context:',
      '    cluster: token-webhook',
      '    user: kube-apiserver',
      'current-context: webhook',
      '',
    ].join('\n'),
  );
  uncached = await startTestCluster({ authn: { webhookTokenConfigFile: kubeconfig, webhookTokenCacheTtlMs: 0, anonymous: true } });
  cached = await startTestCluster({ authn: { webhookTokenConfigFile: kubeconfig, webhookTokenCacheTtlMs: 10 * 60_000, anonymous: true } });
  uncachedClient = new TestClient(uncached.cp.url, { caPem: uncached.cp.pki.caCertPem });
  cachedClient = new TestClient(cached.cp.url, { caPem: cached.cp.pki.caCertPem });
});

after(async () => {
  uncachedClient?.close();
  cachedClient?.close();
  await uncached?.close();
  await cached?.close();
  await stopWebhook();
  rmSync(dir, { recursive: true, force: true });
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

const whoAmI = (client: TestClient, token: string) =>
  client.post('/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, { headers: bearer(token) });

/** Upstream's body for any authentication failure: nothing about why (that goes to the log). */
const UNAUTHORIZED = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 };

async function assertUnauthorized(client: TestClient, token: string, what: string): Promise<void> {
  const r = await whoAmI(client, token);
  assert.equal(r.status, 401, `${what}: ${r.status} ${r.text}`);
  assert.deepEqual(r.body, UNAUTHORIZED, what);
  // A resource request too: still 401, never the 403 an anonymous caller would get.
  const list = await client.get('/api/v1/namespaces', { headers: bearer(token) });
  assert.equal(list.status, 401, `${what} (list): ${list.status} ${list.text}`);
}

test('a token the webhook accepts is the webhook\'s user, with system:authenticated added', async () => {
  webhook.users.set('jane-token', { username: 'jane', uid: 'uid-jane', groups: ['dev', 'qa'], extra: { 'example.com/team': ['blue'] } });
  const r = await whoAmI(uncachedClient, 'jane-token');
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.body.status.userInfo, { username: 'jane', uid: 'uid-jane', groups: ['dev', 'qa', 'system:authenticated'], extra: { 'example.com/team': ['blue'] } });
  // Authorization sees the same identity: jane has no RBAC grants, so this is her 403, not a 401.
  const list = await uncachedClient.get('/api/v1/namespaces', { headers: bearer('jane-token') });
  assert.equal(list.status, 403, list.text);
  assert.equal(list.body.message, 'namespaces is forbidden: User "jane" cannot list resource "namespaces" in API group "" at the cluster scope');
});

test('the webhook receives a v1 TokenReview with the token in spec.token, from the kubeconfig\'s client certificate', async () => {
  webhook.users.set('review-token', { username: 'rita' });
  const before = webhook.received.length;
  assert.equal((await whoAmI(uncachedClient, 'review-token')).status, 201);
  const got = webhook.received.slice(before);
  assert.equal(got.length, 1, 'one review per request');
  const r = got[0]!;
  assert.equal(r.method, 'POST');
  assert.equal(r.url, '/authenticate');
  assert.match(r.contentType ?? '', /^application\/json/);
  assert.equal(r.clientCn, 'kube-apiserver');
  assert.equal(r.body.apiVersion, 'authentication.k8s.io/v1');
  assert.equal(r.body.kind, 'TokenReview');
  assert.equal(r.body.spec.token, 'review-token');
});

test('a token the webhook rejects is 401 with a Kubernetes Status, and was asked about', async () => {
  await assertUnauthorized(uncachedClient, 'rejected-token', 'authenticated:false');
  assert.equal(webhook.reviewsOf('rejected-token'), 2);
});

test('with the cache off every request asks again: a token the webhook stops accepting is refused at once', async () => {
  webhook.users.set('revoked-token', { username: 'rob' });
  assert.equal((await whoAmI(uncachedClient, 'revoked-token')).status, 201);
  assert.equal((await whoAmI(uncachedClient, 'revoked-token')).status, 201);
  assert.equal(webhook.reviewsOf('revoked-token'), 2);
  webhook.users.delete('revoked-token');
  await assertUnauthorized(uncachedClient, 'revoked-token', 'revoked');
});

test('webhook down: a token is 401 (fail closed), not anonymous and not 500', async () => {
  // A token the webhook would accept: only the outage can refuse it.
  webhook.users.set('outage-token', { username: 'olga', groups: ['system:masters'] });
  await whileDown(async () => {
    await assertUnauthorized(uncachedClient, 'outage-token', 'webhook down');
  });
  assert.equal(webhook.reviewsOf('outage-token'), 0, 'the webhook was really unreachable');
  // Back up: the same token works, so the 401 was the outage's doing.
  assert.equal((await whoAmI(uncachedClient, 'outage-token')).status, 201);
});

test('webhook answering garbage, or HTTP 500 with a "yes" in the body: 401, not anonymous and not 500', async () => {
  webhook.users.set('garbage-token', { username: 'gary', groups: ['system:masters'] });
  await whileAnswering('garbage', async () => {
    await assertUnauthorized(uncachedClient, 'garbage-token', 'garbage answer');
  });
  await whileAnswering('http-500', async () => {
    await assertUnauthorized(uncachedClient, 'garbage-token', 'HTTP 500 answer');
  });
  assert.equal(webhook.reviewsOf('garbage-token'), 4, 'each request reached the webhook');
  assert.equal((await whoAmI(uncachedClient, 'garbage-token')).status, 201);
});

test('with a cache: a known token outlives an outage, a fresh token does not, and a failure is not remembered', async () => {
  webhook.users.set('cached-token', { username: 'cate', groups: ['dev'] });
  webhook.users.set('fresh-token', { username: 'fred' });
  const first = await whoAmI(cachedClient, 'cached-token');
  assert.equal(first.status, 201, first.text);
  assert.equal(first.body.status.userInfo.username, 'cate');
  assert.equal((await whoAmI(cachedClient, 'cached-token')).status, 201);
  assert.equal(webhook.reviewsOf('cached-token'), 1, 'the second request was answered from the cache');
  await whileDown(async () => {
    const again = await whoAmI(cachedClient, 'cached-token');
    assert.equal(again.status, 201, again.text);
    assert.deepEqual(again.body.status.userInfo, { username: 'cate', groups: ['dev', 'system:authenticated'] });
    // No cached answer for this one: fail closed even though the webhook would accept it.
    await assertUnauthorized(cachedClient, 'fresh-token', 'webhook down, nothing cached');
  });
  await whileAnswering('garbage', async () => {
    await assertUnauthorized(cachedClient, 'fresh-token', 'garbage, nothing cached');
  });
  // The failures above were not cached: the webhook is asked again and its "yes" counts.
  const after = await whoAmI(cachedClient, 'fresh-token');
  assert.equal(after.status, 201, after.text);
  assert.equal(after.body.status.userInfo.username, 'fred');
});
