/**
 * authenticateNow: each method decides at once when it needs no waiting, and what it decides is
 * what the awaited path decides, failures included. Each case is asked three ways: through
 * authenticateNow (must not be a promise where the brief says it can decide at once), through the
 * same chain with every member behind a promise only (the path every request took before), and,
 * for the methods that read the store, through get alone (no getNow: a real wait per read).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AnonymousAuthenticator } from './anonymous.ts';
import { BearerTokenAuthenticator, type TokenAuthenticator } from './bearer.ts';
import { BootstrapTokenAuthenticator, secretKey } from './bootstrap-token.ts';
import type { ObjectGetterNow } from './live-reads.ts';
import { PasswordFileAuthenticator } from './password-file.ts';
import { ServiceAccountTokenAuthenticator } from './service-account/authenticator.ts';
import { issueToken } from './service-account/issuer.ts';
import { FakeObjects, ISSUER, T0, clock, ecKey, verificationOf } from './service-account/test-fixtures.ts';
import { TokenFileAuthenticator } from './token-file.ts';
import { AuthnError, isPending, type AuthnRequest, type AuthnResult, type RequestAuthenticator } from './types.ts';
import { UnionAuthenticator } from './union.ts';
import { X509Authenticator } from './x509.ts';
import { createCA } from '../pki/ca.ts';

const ca = createCA({ commonName: 'test-ca', now: new Date(Date.now() - 86_400_000), validityDays: 30 });
const quiet = { warn() {}, error() {}, debug() {} };
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const bearer = (t: string): AuthnRequest => ({ headers: { authorization: [`Bearer ${t}`] }, socket: undefined });

/** A result as plain data: the error's class, code and message too (deepEqual alone skips the message). */
function plain(r: AuthnResult): unknown {
  if (r.kind !== 'rejected') return r;
  return { kind: r.kind, method: r.method, error: { isAuthnError: r.error instanceof AuthnError, code: r.error.code, message: r.error.message } };
}

/** The member behind a promise only: no authenticateNow, as every authenticator was before. */
const awaitedOnly = (a: RequestAuthenticator): RequestAuthenticator => ({ name: a.name, authenticate: (req) => a.authenticate(req) });
const awaitedToken = (t: TokenAuthenticator): TokenAuthenticator => ({ name: t.name, authenticateToken: (tok) => t.authenticateToken(tok) });

/** authenticateNow's answer, which must be there at once when `atOnce`; and the awaited chain's. */
async function both(now: RequestAuthenticator, awaited: RequestAuthenticator, req: AuthnRequest, atOnce: boolean): Promise<unknown> {
  const r = now.authenticateNow!(req);
  assert.equal(isPending(r), !atOnce, atOnce ? 'decided at once' : 'waits');
  const a = plain(await awaited.authenticate(req));
  assert.deepEqual(plain(await r), a);
  return a;
}

const tokenDir = mkdtempSync(join(tmpdir(), 'authn-now-'));
test.after(() => rmSync(tokenDir, { recursive: true, force: true }));

function tokenFile(lines: string): string {
  const p = join(tokenDir, `tokens-${Math.random().toString(36).slice(2)}.csv`);
  writeFileSync(p, lines);
  return p;
}

test('x509, token file, anonymous: decided at once, the same answers and Statuses as awaited', async () => {
  let t = 0;
  const now = () => new Date(t);
  const file = new TokenFileAuthenticator({ path: tokenFile('good-token,alice,uid-a,"dev,ops"\n'), now, log: quiet, checkIntervalMs: 10_000 });
  const members = () => [new X509Authenticator({ clientCaPem: ca.certPem }), new BearerTokenAuthenticator([file]), new AnonymousAuthenticator()];
  const chain = new UnionAuthenticator(members());
  const awaited = new UnionAuthenticator(members().map(awaitedOnly));
  const noCert = { getPeerCertificate: () => ({}) } as unknown as AuthnRequest['socket'];
  const cases: Array<[string, AuthnRequest, unknown]> = [
    ['a file token', bearer('good-token'), { kind: 'authenticated', method: 'token-file', user: { username: 'alice', uid: 'uid-a', groups: ['dev', 'ops', 'system:authenticated'] } }],
    ['a file token on a connection without a certificate', { headers: { authorization: ['Bearer good-token'] }, socket: noCert }, { kind: 'authenticated', method: 'token-file', user: { username: 'alice', uid: 'uid-a', groups: ['dev', 'ops', 'system:authenticated'] } }],
    ['an unknown token', bearer('bad-token'), { kind: 'rejected', method: 'bearer', error: { isAuthnError: true, code: 'InvalidCredential', message: 'invalid bearer token' } }],
    ['two Authorization headers', { headers: { authorization: ['Bearer good-token', 'Bearer x'] }, socket: undefined }, { kind: 'rejected', method: 'bearer', error: { isAuthnError: true, code: 'InvalidCredential', message: 'invalid bearer token: multiple Authorization headers' } }],
    ['no credential', { headers: {}, socket: noCert }, { kind: 'authenticated', method: 'anonymous', user: { username: 'system:anonymous', groups: ['system:unauthenticated'] } }],
    ['another scheme', { headers: { authorization: ['Basic eDp5'] }, socket: undefined }, { kind: 'no-opinion' }],
  ];
  for (const [name, req, want] of cases) assert.deepEqual(await both(chain, awaited, req, true), want, name);
  // The request that is due to check the file waits for the check, and answers the same.
  t = 20_000;
  assert.deepEqual(await both(chain, awaited, bearer('good-token'), false), cases[0]![2]);
  assert.deepEqual(await both(chain, awaited, bearer('bad-token'), true), cases[2]![2]);
});

test('a union whose first member fails, at once or by rejecting: the same Internal rejection, nothing after it asked', async () => {
  const asked: string[] = [];
  const later: RequestAuthenticator = { name: 'anonymous', authenticateNow: () => (asked.push('later'), { kind: 'authenticated', method: 'anonymous', user: { username: 'system:anonymous', groups: [] } }), authenticate: async () => assert.fail('awaited') };
  // x509 on a socket whose certificate cannot be read: it throws.
  const broken = { getPeerCertificate: () => { throw new Error('socket gone'); } } as unknown as AuthnRequest['socket'];
  const x509 = new X509Authenticator({ clientCaPem: ca.certPem });
  const want = { kind: 'rejected', method: 'x509', error: { isAuthnError: true, code: 'Internal', message: 'socket gone' } };
  assert.deepEqual(await both(new UnionAuthenticator([x509, later]), new UnionAuthenticator([awaitedOnly(x509), awaitedOnly(later)]), { headers: {}, socket: broken }, true), want);
  // A member that answers with a promise that rejects.
  const rejecting: RequestAuthenticator = { name: 'x509', authenticate: () => Promise.reject(new Error('socket gone')) };
  assert.deepEqual(await both(new UnionAuthenticator([rejecting, later]), new UnionAuthenticator([rejecting, awaitedOnly(later)]), { headers: {}, socket: undefined }, false), want);
  assert.deepEqual(asked, [], 'a failure never falls through');
  // A member that throws where a promise was expected: the same.
  const throwing: RequestAuthenticator = { name: 'x509', authenticate: () => { throw new Error('socket gone'); } };
  assert.deepEqual(plain(await new UnionAuthenticator([throwing, later]).authenticateNow({ headers: {}, socket: undefined })), want);
  // Something that is not a native promise is still waited for, never read as an answer.
  const thenable: RequestAuthenticator = { name: 'odd', authenticate: () => ({ then: (ok: (r: AuthnResult) => void) => ok({ kind: 'no-opinion' }) }) as unknown as Promise<AuthnResult> };
  const r = new UnionAuthenticator([thenable, later]).authenticateNow({ headers: {}, socket: undefined });
  assert.ok(isPending(r));
  assert.equal((await r).kind, 'authenticated');
  assert.deepEqual(asked, ['later']);
});

test('a member that waits holds back the ones after it: the order is the awaited order', async () => {
  const asked: string[] = [];
  let release!: () => void;
  const slow: TokenAuthenticator = {
    name: 'slow',
    authenticateToken: () => new Promise((ok) => (release = () => (asked.push('slow answered'), ok({ kind: 'no-opinion' })))),
  };
  const fast: TokenAuthenticator = { name: 'fast', authenticateToken: async () => assert.fail('awaited'), authenticateTokenNow: () => (asked.push('fast asked'), { kind: 'authenticated', method: 'fast', user: { username: 'f', groups: [] } }) };
  const r = new BearerTokenAuthenticator([slow, fast]).authenticateNow(bearer('t'));
  assert.ok(isPending(r));
  await new Promise((ok) => setImmediate(ok));
  assert.deepEqual(asked, []);
  release();
  assert.equal((await r).kind, 'authenticated');
  assert.deepEqual(asked, ['slow answered', 'fast asked']);
  // A rejection after the wait stops the chain there too.
  const no: TokenAuthenticator = { name: 'no', authenticateToken: async () => ({ kind: 'rejected', method: 'no', error: new AuthnError('Expired', 'old') }) };
  asked.length = 0;
  assert.deepEqual(plain(await new BearerTokenAuthenticator([no, fast]).authenticateNow(bearer('t'))), { kind: 'rejected', method: 'no', error: { isAuthnError: true, code: 'Expired', message: 'old' } });
  assert.deepEqual(asked, []);
});

/** FakeObjects with a getNow, as the primed watch cache has. */
function withNow(objs: FakeObjects): { getNow: ObjectGetterNow; reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    getNow: (key) => {
      reads.push(key);
      const v = objs.objects.get(key);
      return v === undefined ? null : { value: structuredClone(v) };
    },
  };
}

test('service account tokens: a verified token with its objects in memory is decided at once, each failure as awaited', async () => {
  const key = ecKey();
  const objs = new FakeObjects();
  objs.serviceAccount('ns1', 'default', 'sa-uid');
  objs.pod('ns1', 'web', 'pod-uid', 'default', 'node-a');
  const c = clock();
  const mem = withNow(objs);
  const opts = { issuers: [ISSUER], keys: [verificationOf(key)], get: objs.get, now: c.now };
  const fast = new ServiceAccountTokenAuthenticator({ ...opts, getNow: mem.getNow });
  const slow = new ServiceAccountTokenAuthenticator(opts);
  const now = new BearerTokenAuthenticator([fast]);
  const awaited = new BearerTokenAuthenticator([awaitedToken(slow)]);
  const issue = (o: Record<string, unknown> = {}) =>
    issueToken({ namespace: 'ns1', serviceAccount: { name: 'default', uid: 'sa-uid' }, audiences: [ISSUER], expirationSeconds: 3600, issuer: ISSUER, now: T0, key, jti: 'j1', boundObject: { kind: 'Pod', name: 'web', uid: 'pod-uid' }, ...o }).then((t) => t.token);
  const token = await issue();
  // First sight: the signature is checked (a wait), then the cache has it.
  const first = await both(now, awaited, bearer(token), false);
  assert.equal((first as { kind: string }).kind, 'authenticated');
  assert.deepEqual(await both(now, awaited, bearer(token), true), first);
  assert.deepEqual(mem.reads, ['/registry/core/serviceaccounts/ns1/default', '/registry/core/pods/ns1/web', '/registry/core/serviceaccounts/ns1/default', '/registry/core/pods/ns1/web']);
  // The live checks still run on every request: the pod recreated, then the account deleted.
  objs.pod('ns1', 'web', 'pod-uid-2', 'default', 'node-a');
  const podGone = await both(now, awaited, bearer(token), true);
  assert.deepEqual(podGone, { kind: 'rejected', method: 'serviceaccount', error: { isAuthnError: true, code: 'InvalidCredential', message: 'pod UID (pod-uid-2) does not match service account pod ref claim (pod-uid)' } });
  objs.delete('/registry/core/serviceaccounts/ns1/default');
  assert.deepEqual(await both(now, awaited, bearer(token), true), { kind: 'rejected', method: 'serviceaccount', error: { isAuthnError: true, code: 'InvalidCredential', message: 'serviceaccount "default" not found' } });
  objs.serviceAccount('ns1', 'default', 'sa-uid');
  objs.pod('ns1', 'web', 'pod-uid', 'default', 'node-a');
  // Expired: the cache keeps a token no longer than it can pass the clock checks, so this is a
  // first sight again (a wait), and the same refusal.
  c.advance(3600 + 61);
  assert.deepEqual(await both(now, awaited, bearer(token), false), { kind: 'rejected', method: 'serviceaccount', error: { isAuthnError: true, code: 'Expired', message: 'service account token has expired' } });
  c.set(T0);
  // A read memory cannot answer goes to get from there on, and answers the same.
  let partial = 0;
  const half = new BearerTokenAuthenticator([new ServiceAccountTokenAuthenticator({ ...opts, getNow: (k) => (partial++ === 0 ? mem.getNow(k) : undefined) })]);
  await half.authenticate(bearer(token));
  partial = 0;
  assert.deepEqual(await both(half, awaited, bearer(token), false), first);
  // A store that fails: the same Internal rejection from the bearer chain, at once or not.
  const failing = new BearerTokenAuthenticator([new ServiceAccountTokenAuthenticator({ ...opts, get: () => Promise.reject(new Error('etcd down')), getNow: () => { throw new Error('etcd down'); } })]);
  const failingAwaited = new BearerTokenAuthenticator([awaitedToken(new ServiceAccountTokenAuthenticator({ ...opts, get: () => Promise.reject(new Error('etcd down')) }))]);
  await failing.authenticate(bearer(token)).catch(() => undefined);
  await failingAwaited.authenticate(bearer(token));
  assert.deepEqual(await both(failing, failingAwaited, bearer(token), true), { kind: 'rejected', method: 'serviceaccount', error: { isAuthnError: true, code: 'Internal', message: 'etcd down' } });
});

test('bootstrap tokens: a Secret in memory is decided at once; wrong secrets, expiry and store failures as awaited', async () => {
  const objs = new FakeObjects();
  const data = (d: Record<string, string>) => Object.fromEntries(Object.entries(d).map(([k, v]) => [k, b64(v)]));
  const base = { 'token-id': 'abcdef', 'token-secret': '0123456789abcdef', 'usage-bootstrap-authentication': 'true', 'auth-extra-groups': 'system:bootstrappers:worker' };
  objs.put(secretKey('abcdef'), { metadata: { name: 'bootstrap-token-abcdef' }, type: 'bootstrap.kubernetes.io/token', data: data(base) });
  objs.put(secretKey('zzzzzz'), { metadata: { name: 'bootstrap-token-zzzzzz' }, type: 'bootstrap.kubernetes.io/token', data: data({ ...base, 'token-id': 'zzzzzz', expiration: '2000-01-01T00:00:00Z' }) });
  const mem = withNow(objs);
  const now = () => new Date('2030-01-01T00:00:00Z');
  const chain = new BearerTokenAuthenticator([new BootstrapTokenAuthenticator({ get: objs.get, getNow: mem.getNow, now, log: quiet })]);
  const awaited = new BearerTokenAuthenticator([awaitedToken(new BootstrapTokenAuthenticator({ get: objs.get, now, log: quiet }))]);
  const invalid = { kind: 'rejected', method: 'bearer', error: { isAuthnError: true, code: 'InvalidCredential', message: 'invalid bearer token' } };
  assert.deepEqual(await both(chain, awaited, bearer('abcdef.0123456789abcdef'), true), { kind: 'authenticated', method: 'bootstrap-token', user: { username: 'system:bootstrap:abcdef', groups: ['system:bootstrappers', 'system:bootstrappers:worker'] } });
  for (const t of ['abcdef.0123456789abcdee', 'zzzzzz.0123456789abcdef', 'qqqqqq.0123456789abcdef']) assert.deepEqual(await both(chain, awaited, bearer(t), true), invalid, t);
  const down = { get: () => Promise.reject(new Error('etcd down')), now, log: quiet };
  const failing = new BearerTokenAuthenticator([new BootstrapTokenAuthenticator({ ...down, getNow: () => { throw new Error('etcd down'); } })]);
  assert.deepEqual(await both(failing, new BearerTokenAuthenticator([new BootstrapTokenAuthenticator(down)]), bearer('abcdef.0123456789abcdef'), true), { kind: 'rejected', method: 'bootstrap-token', error: { isAuthnError: true, code: 'Internal', message: 'bootstrap token lookup failed: etcd down' } });
  // Memory not primed: get answers, the same.
  const unprimed = new BearerTokenAuthenticator([new BootstrapTokenAuthenticator({ get: objs.get, getNow: () => undefined, now, log: quiet })]);
  assert.deepEqual(await both(unprimed, awaited, bearer('abcdef.0123456789abcdef'), false), { kind: 'authenticated', method: 'bootstrap-token', user: { username: 'system:bootstrap:abcdef', groups: ['system:bootstrappers', 'system:bootstrappers:worker'] } });
});

test('basic auth: a password checked within the cache TTL is decided at once; a wrong one always waits for scrypt', async () => {
  const path = fileURLToPath(new URL('./testdata/password-file.csv', import.meta.url));
  const pw = new PasswordFileAuthenticator({ path, log: quiet, cacheTtlMs: 60_000 });
  const awaited = awaitedOnly(pw);
  const basic = (s: string): AuthnRequest => ({ headers: { authorization: [`Basic ${b64(s)}`] }, socket: undefined });
  const bob = { kind: 'authenticated', method: 'password-file', user: { username: 'bob', uid: 'uid-2', groups: [] } };
  assert.deepEqual(await both(pw, awaited, basic('bob:hunter2'), false), bob);
  assert.deepEqual(await both(pw, awaited, basic('bob:hunter2'), true), bob);
  const wrong = await both(pw, awaited, basic('bob:hunter3'), false);
  assert.deepEqual(wrong, { kind: 'rejected', method: 'password-file', error: { isAuthnError: true, code: 'InvalidCredential', message: 'invalid username/password combination' } });
  assert.equal(isPending(pw.authenticateNow(basic('bob:hunter3'))), true, 'a failure is never cached');
});
