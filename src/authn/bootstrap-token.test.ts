import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BootstrapTokenAuthenticator, hasExpired, secretKey } from './bootstrap-token.ts';
import { BearerTokenAuthenticator } from './bearer.ts';
import { UnionAuthenticator } from './union.ts';
import { AnonymousAuthenticator } from './anonymous.ts';
import type { AuthnResult } from './types.ts';

const NOW = new Date('2030-06-01T12:00:00Z');
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

type Data = Record<string, string>;
function secret(id: string, data: Data, over: Record<string, unknown> = {}): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `bootstrap-token-${id}`, namespace: 'kube-system' },
    type: 'bootstrap.kubernetes.io/token',
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
    ...over,
  };
}

const BASE: Data = { 'token-id': 'abcdef', 'token-secret': '0123456789abcdef', 'usage-bootstrap-authentication': 'true' };

function store(objects: Record<string, unknown>) {
  const seen: string[] = [];
  return {
    seen,
    get: async (key: string) => {
      seen.push(key);
      return key in objects ? { value: objects[key] } : undefined;
    },
  };
}

const summary = (r: AuthnResult): string =>
  r.kind === 'authenticated' ? `ok ${r.user.username}|${r.user.groups.join(';')}` : r.kind === 'rejected' ? `rejected ${r.error.code}` : r.kind;

const TOKEN = 'abcdef.0123456789abcdef';
const cases: { name: string; token?: string; secret?: unknown; want: string }[] = [
  { name: 'valid token', secret: secret('abcdef', BASE), want: 'ok system:bootstrap:abcdef|system:bootstrappers' },
  {
    name: 'extra groups, sorted and deduplicated',
    secret: secret('abcdef', { ...BASE, 'auth-extra-groups': 'system:bootstrappers:kubeadm:default-node-token,system:bootstrappers:a,system:bootstrappers:a' }),
    want: 'ok system:bootstrap:abcdef|system:bootstrappers;system:bootstrappers:a;system:bootstrappers:kubeadm:default-node-token',
  },
  { name: 'expiration in the future', secret: secret('abcdef', { ...BASE, expiration: '2030-06-01T12:00:01Z' }), want: 'ok system:bootstrap:abcdef|system:bootstrappers' },
  { name: 'expired', secret: secret('abcdef', { ...BASE, expiration: '2030-06-01T12:00:00Z' }), want: 'no-opinion' },
  { name: 'expired, offset form', secret: secret('abcdef', { ...BASE, expiration: '2030-06-01T13:00:00+02:00' }), want: 'no-opinion' },
  { name: 'unparseable expiration counts as expired', secret: secret('abcdef', { ...BASE, expiration: 'next week' }), want: 'no-opinion' },
  { name: 'wrong secret', token: 'abcdef.0123456789abcdee', secret: secret('abcdef', BASE), want: 'no-opinion' },
  { name: 'no such Secret', secret: undefined, want: 'no-opinion' },
  { name: 'wrong Secret type', secret: secret('abcdef', BASE, { type: 'Opaque' }), want: 'no-opinion' },
  { name: 'no data', secret: secret('abcdef', BASE, { data: undefined }), want: 'no-opinion' },
  { name: 'token-id disagrees with the name', secret: secret('abcdef', { ...BASE, 'token-id': 'zzzzzz' }), want: 'no-opinion' },
  { name: 'usage not true', secret: secret('abcdef', { ...BASE, 'usage-bootstrap-authentication': 'false' }), want: 'no-opinion' },
  { name: 'usage missing', secret: secret('abcdef', { 'token-id': 'abcdef', 'token-secret': '0123456789abcdef' }), want: 'no-opinion' },
  { name: 'extra group outside system:bootstrappers:', secret: secret('abcdef', { ...BASE, 'auth-extra-groups': 'system:masters' }), want: 'no-opinion' },
  { name: 'the default group is not a valid extra group', secret: secret('abcdef', { ...BASE, 'auth-extra-groups': 'system:bootstrappers' }), want: 'no-opinion' },
  { name: 'extra group with upper case', secret: secret('abcdef', { ...BASE, 'auth-extra-groups': 'system:bootstrappers:Nodes' }), want: 'no-opinion' },
  { name: 'being deleted', secret: secret('abcdef', BASE, { metadata: { deletionTimestamp: '2030-06-01T00:00:00Z' } }), want: 'no-opinion' },
  { name: 'data not base64', secret: secret('abcdef', BASE, { data: { 'token-id': 'abcdef', 'token-secret': '0123456789abcdef', 'usage-bootstrap-authentication': 'true' } }), want: 'no-opinion' },
  { name: 'upper-case token is not a bootstrap token', token: 'ABCDEF.0123456789abcdef', secret: secret('abcdef', BASE), want: 'no-opinion' },
  { name: 'secret too short', token: 'abcdef.0123456789abcde', secret: secret('abcdef', BASE), want: 'no-opinion' },
  { name: 'trailing characters', token: `${TOKEN}x`, secret: secret('abcdef', BASE), want: 'no-opinion' },
];
for (const c of cases) {
  test(`bootstrap token: ${c.name}`, async () => {
    const s = store(c.secret === undefined ? {} : { [secretKey('abcdef')]: c.secret });
    const a = new BootstrapTokenAuthenticator({ get: s.get, now: () => NOW });
    assert.equal(summary(await a.authenticateToken(c.token ?? TOKEN)), c.want);
  });
}

test('looks up kube-system/bootstrap-token-<id> only, and only for tokens of the right shape', async () => {
  const s = store({});
  const a = new BootstrapTokenAuthenticator({ get: s.get, now: () => NOW });
  await a.authenticateToken('not-a-bootstrap-token');
  await a.authenticateToken('../../x.0123456789abcdef');
  assert.deepEqual(s.seen, []);
  await a.authenticateToken('q1w2e3.0123456789abcdef');
  assert.deepEqual(s.seen, ['/registry/core/secrets/kube-system/bootstrap-token-q1w2e3']);
});

test('a store failure rejects, fail closed', async () => {
  const a = new BootstrapTokenAuthenticator({ get: async () => { throw new Error('database is locked'); }, now: () => NOW });
  assert.equal(summary(await a.authenticateToken(TOKEN)), 'rejected Internal');
});

test('reasons are logged, never returned', async () => {
  const logs: string[] = [];
  const a = new BootstrapTokenAuthenticator({ get: store({ [secretKey('abcdef')]: secret('abcdef', BASE) }).get, now: () => NOW, log: { debug: (_o, m) => logs.push(m) } });
  assert.equal(summary(await a.authenticateToken('abcdef.0123456789abcdee')), 'no-opinion');
  assert.deepEqual(logs, ['bootstrap secret matching bearer token has invalid value for key token-secret']);
});

test('behind the bearer chain: a wrong secret is a 401, never anonymous', async () => {
  const s = store({ [secretKey('abcdef')]: secret('abcdef', BASE) });
  const union = new UnionAuthenticator([new BearerTokenAuthenticator([new BootstrapTokenAuthenticator({ get: s.get, now: () => NOW })]), new AnonymousAuthenticator()]);
  const run = (token: string) => union.authenticate({ headers: { authorization: `Bearer ${token}` }, socket: undefined });
  assert.equal(summary(await run(TOKEN)), 'ok system:bootstrap:abcdef|system:bootstrappers;system:authenticated');
  assert.equal(summary(await run('abcdef.0123456789abcdee')), 'rejected InvalidCredential');
  assert.equal(summary(await run('zzzzzz.0123456789abcdef')), 'rejected InvalidCredential');
});

const expirations: [string, boolean][] = [
  ['', false],
  ['2030-06-01T12:00:00.001Z', false],
  ['2030-06-01T11:59:59.999Z', true],
  ['2030-06-01T12:00:00Z', true],
  ['2030-06-01t12:30:00z', false],
  ['2030-06-01T14:30:00+02:00', false],
  ['2030-06-01 12:30:00Z', true], // space separator is not RFC 3339 as Go parses it
  ['2030-06-01T12:30Z', true], // seconds are required
  ['2030-02-30T00:00:00Z', true], // no such day
  ['2031-01-01', true],
];
for (const [exp, want] of expirations) {
  test(`hasExpired(${JSON.stringify(exp)}) = ${want}`, () => {
    assert.equal(hasExpired(exp, NOW), want);
  });
}
