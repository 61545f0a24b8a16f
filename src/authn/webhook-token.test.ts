import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCA, type CertKeyPem } from '../pki/ca.ts';
import { issueCert } from '../pki/certs.ts';
import { checkReview, WebhookTokenAuthenticator, type WebhookTokenOptions } from './webhook-token.ts';
import type { AuthnResult } from './types.ts';
import { API_SERVER_USER_AGENT } from '../util/http/user-agent.ts';

const NOW = new Date();
let dir: string;
let ca: CertKeyPem;
let otherCa: CertKeyPem;
let client: CertKeyPem;
let server: Server;
let url: string;
/** token -> number of reviews the webhook received for it */
const calls = new Map<string, number>();
let lastBody: any;
let lastAuth: string | undefined;
let lastUserAgent: string | undefined;

const REVIEW = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview' };
// What the fake webhook answers, by token.
const ANSWERS: Record<string, (res: import('node:http').ServerResponse, body: any) => void> = {
  good: (res) => json(res, 200, { ...REVIEW, status: { authenticated: true, user: { username: 'alice', uid: 'u-1', groups: ['dev'], extra: { scopes: ['a', 'b'] } } } }),
  'aud-good': (res) => json(res, 200, { ...REVIEW, status: { authenticated: true, user: { username: 'alice' }, audiences: ['api'] } }),
  bad: (res) => json(res, 200, { ...REVIEW, status: { authenticated: false } }),
  'bad-with-error': (res) => json(res, 200, { ...REVIEW, status: { authenticated: false, error: 'token expired' } }),
  'no-kind': (res) => json(res, 200, { status: { authenticated: true, user: { username: 'bob' } } }),
  garbage: (res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status": {"authenticated": tr'),
  'wrong-kind': (res) => json(res, 200, { apiVersion: 'authentication.k8s.io/v1', kind: 'Status', status: { authenticated: true, user: { username: 'x' } } }),
  'wrong-version': (res) => json(res, 200, { apiVersion: 'authentication.k8s.io/v1beta1', kind: 'TokenReview', status: { authenticated: true, user: { username: 'x' } } }),
  'http-500': (res) => json(res, 500, { ...REVIEW, status: { authenticated: true, user: { username: 'x' } } }),
  'http-302': (res) => res.writeHead(302, { location: 'https://example.com/' }).end(),
  'string-true': (res) => json(res, 200, { ...REVIEW, status: { authenticated: 'true', user: { username: 'x' } } }),
  'no-username': (res) => json(res, 200, { ...REVIEW, status: { authenticated: true, user: { groups: ['system:masters'] } } }),
  'bad-groups': (res) => json(res, 200, { ...REVIEW, status: { authenticated: true, user: { username: 'x', groups: 'system:masters' } } }),
  'bad-extra': (res) => json(res, 200, { ...REVIEW, status: { authenticated: true, user: { username: 'x', extra: { a: 'b' } } } }),
  array: (res) => json(res, 200, [REVIEW]),
  slow: () => {},
};

function json(res: import('node:http').ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function kubeconfig(opts: { server?: string; caPem?: string | null; cluster?: Record<string, unknown>; user?: Record<string, unknown> | null } = {}): string {
  const cluster: Record<string, unknown> = { server: opts.server ?? url, ...opts.cluster };
  if (opts.caPem !== null) cluster['certificate-authority-data'] = Buffer.from(opts.caPem ?? ca.certPem).toString('base64');
  const user = opts.user === null ? {} : (opts.user ?? { 'client-certificate': 'client.crt', 'client-key': 'client.key' });
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'authn', cluster }],
    users: [{ name: 'apiserver', user }],
    contexts: [{ name: 'webhook', context: { cluster: 'authn', user: 'apiserver' } }],
    'current-context': 'webhook',
  };
  const path = join(dir, `kc-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, JSON.stringify(doc)); // JSON is YAML
  return path;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'webhook-token-'));
  ca = createCA({ commonName: 'webhook-ca', now: NOW, validityDays: 2 });
  otherCa = createCA({ commonName: 'other-ca', now: NOW, validityDays: 2 });
  const serving = issueCert(ca, { commonName: 'webhook', usage: 'server', now: NOW, validityDays: 2 });
  client = issueCert(ca, { commonName: 'kube-apiserver', usage: 'client', now: NOW, validityDays: 2 });
  writeFileSync(join(dir, 'client.crt'), client.certPem);
  writeFileSync(join(dir, 'client.key'), client.keyPem);
  // The webhook insists on the API server's client certificate, so every test also proves it is sent.
  server = createServer({ cert: serving.certPem, key: serving.keyPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      lastBody = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      lastAuth = req.headers.authorization;
      lastUserAgent = req.headers['user-agent'];
      const token = String(lastBody?.spec?.token);
      calls.set(token, (calls.get(token) ?? 0) + 1);
      (ANSWERS[token] ?? ANSWERS.bad!)(res, lastBody);
    });
  });
  return new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => {
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/authenticate`;
    resolve();
  }));
});

after(() => {
  server.closeAllConnections();
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

const summary = (r: AuthnResult): string =>
  r.kind === 'authenticated' ? `ok ${r.user.username}|${r.user.uid ?? ''}|${r.user.groups.join(';')}` : r.kind === 'rejected' ? `rejected ${r.error.code}` : r.kind;

function authn(opts: Partial<WebhookTokenOptions> = {}): WebhookTokenAuthenticator {
  return new WebhookTokenAuthenticator({ configFile: kubeconfig(), timeoutMs: 2000, ...opts });
}

const cases: { token: string; want: string }[] = [
  { token: 'good', want: 'ok alice|u-1|dev' },
  { token: 'no-kind', want: 'ok bob||' },
  { token: 'bad', want: 'rejected InvalidCredential' },
  { token: 'bad-with-error', want: 'rejected InvalidCredential' },
  { token: 'garbage', want: 'rejected Internal' },
  { token: 'wrong-kind', want: 'rejected Internal' },
  { token: 'wrong-version', want: 'rejected Internal' },
  { token: 'http-500', want: 'rejected Internal' },
  { token: 'http-302', want: 'rejected Internal' },
  { token: 'string-true', want: 'rejected Internal' },
  { token: 'no-username', want: 'rejected Internal' },
  { token: 'bad-groups', want: 'rejected Internal' },
  { token: 'bad-extra', want: 'rejected Internal' },
  { token: 'array', want: 'rejected Internal' },
];
for (const c of cases) {
  test(`webhook answer ${c.token} -> ${c.want}`, async () => {
    assert.equal(summary(await authn().authenticateToken(c.token)), c.want);
  });
}

test('sends a v1 TokenReview with only the token, and returns extra', async () => {
  const r = await authn().authenticateToken('good');
  assert.deepEqual(lastBody, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', metadata: { creationTimestamp: null }, spec: { token: 'good' } });
  assert.ok(r.kind === 'authenticated');
  assert.deepEqual(r.user.extra, { scopes: ['a', 'b'] });
  assert.equal(r.method, 'webhook');
  // The API server names itself as client-go's default does: kube-apiserver/<version> (<os>/<arch>) kubernetes/<commit>.
  assert.equal(lastUserAgent, API_SERVER_USER_AGENT);
  assert.match(String(lastUserAgent), /^kube-apiserver\/v1\.\d+\.\d+\S* \(\w+\/\w+\) kubernetes\/\S+$/);
});

test('webhook error message is passed on; transport errors name the webhook', async () => {
  const r = await authn().authenticateToken('bad-with-error');
  assert.equal(r.kind === 'rejected' && r.error.message, 'token expired');
  const g = await authn().authenticateToken('garbage');
  assert.equal(g.kind === 'rejected' && g.error.message, 'webhook token authentication failed: webhook answer is not JSON');
});

test('successes are cached for the TTL, denials for the shorter failure TTL', async () => {
  let now = 1_000_000;
  const a = authn({ now: () => new Date(now), cacheTtlMs: 120_000, failureCacheTtlMs: 30_000 });
  const before = { good: calls.get('good') ?? 0, bad: calls.get('bad') ?? 0 };
  for (let i = 0; i < 3; i++) {
    assert.equal(summary(await a.authenticateToken('good')), 'ok alice|u-1|dev');
    assert.equal(summary(await a.authenticateToken('bad')), 'rejected InvalidCredential');
  }
  assert.deepEqual({ good: calls.get('good')! - before.good, bad: calls.get('bad')! - before.bad }, { good: 1, bad: 1 });
  now += 30_000; // denial expired, success not
  await a.authenticateToken('good');
  await a.authenticateToken('bad');
  assert.deepEqual({ good: calls.get('good')! - before.good, bad: calls.get('bad')! - before.bad }, { good: 1, bad: 2 });
  now += 90_000;
  await a.authenticateToken('good');
  assert.equal(calls.get('good')! - before.good, 2);
});

test('a cached answer is given at once (authenticateTokenNow), the same as awaited; what is not cached waits for the webhook', async () => {
  const a = authn({ cacheTtlMs: 120_000, failureCacheTtlMs: 30_000 });
  for (const token of ['good', 'bad', 'garbage']) {
    const first = a.authenticateTokenNow(token);
    assert.ok(first instanceof Promise, token);
    const want = await first;
    const again = a.authenticateTokenNow(token);
    // Errors are never cached: 'garbage' asks the webhook again.
    assert.equal(again instanceof Promise, token === 'garbage', token);
    assert.deepEqual(await again, want, token);
    assert.deepEqual(await a.authenticateToken(token), want, token);
  }
});

test('concurrent reviews of one token share one call; a cached user cannot be edited by a caller', async () => {
  const a = authn();
  const before = calls.get('good') ?? 0;
  const rs = await Promise.all([a.authenticateToken('good'), a.authenticateToken('good'), a.authenticateToken('good')]);
  assert.equal(calls.get('good')! - before, 1);
  assert.ok(rs[0]!.kind === 'authenticated');
  rs[0]!.user.groups.push('system:masters');
  assert.equal(summary(await a.authenticateToken('good')), 'ok alice|u-1|dev');
});

test('errors and malformed answers are not cached; cache TTL 0 disables caching', async () => {
  const a = authn();
  const before = calls.get('garbage') ?? 0;
  await a.authenticateToken('garbage');
  await a.authenticateToken('garbage');
  assert.equal(calls.get('garbage')! - before, 2);
  const b = authn({ cacheTtlMs: 0 });
  const g = calls.get('good') ?? 0;
  await b.authenticateToken('good');
  await b.authenticateToken('good');
  assert.equal(calls.get('good')! - g, 2);
});

test('slow webhook past the timeout rejects', async () => {
  const r = await authn({ timeoutMs: 200 }).authenticateToken('slow');
  assert.equal(r.kind === 'rejected' && r.error.message, 'webhook token authentication failed: webhook timed out');
});

test('webhook down rejects', async () => {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  const a = new WebhookTokenAuthenticator({ configFile: kubeconfig({ server: `https://127.0.0.1:${port}/` }), timeoutMs: 2000 });
  assert.equal(summary(await a.authenticateToken('good')), 'rejected Internal');
});

test('a webhook certificate from another CA is refused; so is a missing client certificate', async () => {
  const wrongCa = new WebhookTokenAuthenticator({ configFile: kubeconfig({ caPem: otherCa.certPem }), timeoutMs: 2000 });
  const w = await wrongCa.authenticateToken('good');
  assert.equal(summary(w), 'rejected Internal');
  assert.match(w.kind === 'rejected' ? w.error.message : '', /self-signed certificate in certificate chain/);
  const noClientCert = new WebhookTokenAuthenticator({ configFile: kubeconfig({ user: null }), timeoutMs: 2000 });
  const n = await noClientCert.authenticateToken('good');
  assert.equal(summary(n), 'rejected Internal');
  assert.match(n.kind === 'rejected' ? n.error.message : '', /certificate required/);
});

test('audiences: sent to the webhook; the answer must name one, else the implicit ones must match', async () => {
  const a = authn({ implicitAudiences: ['api'] });
  const r = await a.authenticateToken('aud-good', ['api', 'other']);
  assert.deepEqual(lastBody.spec, { token: 'aud-good', audiences: ['api', 'other'] });
  assert.ok(r.kind === 'authenticated');
  assert.deepEqual(r.audiences, ['api']);
  assert.equal((await a.authenticateToken('aud-good', ['vault'])).kind, 'no-opinion');
  // No audiences in the answer: the implicit ones stand in.
  const g = await a.authenticateToken('good', ['api']);
  assert.ok(g.kind === 'authenticated');
  assert.deepEqual(g.audiences, ['api']);
  assert.equal((await a.authenticateToken('good', ['vault'])).kind, 'no-opinion');
});

test('a v1beta1 webhook is asked and answered in v1beta1', async () => {
  const r = await authn({ version: 'v1beta1' }).authenticateToken('wrong-version');
  assert.equal(lastBody.apiVersion, 'authentication.k8s.io/v1beta1');
  assert.equal(summary(r), 'ok x||');
});

const badConfigs: { name: string; make: () => string; msg: RegExp }[] = [
  { name: 'plain http', make: () => kubeconfig({ server: 'http://127.0.0.1:1/' }), msg: /must be https/ },
  { name: 'not a URL', make: () => kubeconfig({ server: 'not a url' }), msg: /not a URL/ },
  { name: 'insecure-skip-tls-verify', make: () => kubeconfig({ cluster: { 'insecure-skip-tls-verify': true } }), msg: /specifying a root certificates file with the insecure flag is not allowed/ },
  { name: 'exec user', make: () => kubeconfig({ user: { exec: { command: 'x' } } }), msg: /user "apiserver": field 'exec' is not supported/ },
  { name: 'cert without key', make: () => kubeconfig({ user: { 'client-certificate': 'client.crt' } }), msg: /client-key-data or client-key must be specified for apiserver/ },
  { name: 'missing key file', make: () => kubeconfig({ user: { 'client-certificate': 'client.crt', 'client-key': 'nope.key' } }), msg: /unable to read client-key \/\S+\/nope\.key for apiserver due to open \/\S+\/nope\.key: no such file or directory/ },
  { name: 'CA that is not PEM', make: () => kubeconfig({ caPem: 'hello' }), msg: /unable to parse bytes as PEM block/ },
  { name: 'missing file', make: () => join(dir, 'none.yaml'), msg: /no such file or directory/ },
  {
    name: 'unknown current-context',
    make: () => {
      const p = join(dir, 'ctx.yaml');
      writeFileSync(p, 'clusters: [{name: a, cluster: {server: "https://x"}}]\ncontexts: [{name: c, context: {cluster: a}}]\ncurrent-context: nope\n');
      return p;
    },
    msg: /context was not found for specified context: nope/,
  },
  {
    // Upstream's webhook loader uses the current context only; it never guesses the only cluster.
    name: 'no current-context',
    make: () => {
      const p = join(dir, 'no-ctx.yaml');
      writeFileSync(p, 'clusters:\n- name: a\n  cluster:\n    server: https://authn.example.com/x\n');
      return p;
    },
    msg: /invalid configuration: no context chosen/,
  },
];
for (const c of badConfigs) {
  test(`bad webhook config: ${c.name}`, () => {
    assert.throws(() => new WebhookTokenAuthenticator({ configFile: c.make() }), (e: Error) => c.msg.test(e.message) && e.message.startsWith('webhook config'));
  });
}

test('bad options are refused at construction', () => {
  assert.throws(() => authn({ timeoutMs: 0 }), /timeoutMs must be positive/);
  assert.throws(() => authn({ cacheTtlMs: -1 }), /cacheTtlMs/);
  assert.throws(() => authn({ version: 'v2' as 'v1' }), /unsupported version/);
});

test('checkReview refuses a user on authenticated:false', () => {
  const v = checkReview({ status: { authenticated: false, user: { username: 'admin' } } }, 'authentication.k8s.io/v1');
  assert.equal(v.kind, 'denied');
});

test('a kubeconfig tokenFile is re-read about every minute, as client-go\'s transport re-reads it', async () => {
  writeFileSync(join(dir, 'rotating-token'), 'first\n');
  let now = NOW.getTime();
  // No answer cache (TTL 0): every call reaches the webhook.
  const a = authn({ configFile: kubeconfig({ user: { 'client-certificate': 'client.crt', 'client-key': 'client.key', tokenFile: 'rotating-token' } }), cacheTtlMs: 0, now: () => new Date(now) });
  await a.authenticateToken('good');
  assert.equal(lastAuth, 'Bearer first');
  writeFileSync(join(dir, 'rotating-token'), 'second\n');
  now += 49_000;
  await a.authenticateToken('good');
  assert.equal(lastAuth, 'Bearer first');
  now += 1_000;
  await a.authenticateToken('good');
  assert.equal(lastAuth, 'Bearer second');
});
