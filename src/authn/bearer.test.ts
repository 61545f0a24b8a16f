import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BearerTokenAuthenticator, MAX_BEARER_TOKEN_BYTES, parseBearer, type TokenAuthenticator } from './bearer.ts';
import { AuthnError, type AuthnResult } from './types.ts';
import { rawHeaderMap } from './raw-headers.ts';

const big = 'a'.repeat(MAX_BEARER_TOKEN_BYTES);

const cases: { name: string; headers: Record<string, string | string[]>; want: string }[] = [
  { name: 'no header', headers: {}, want: 'none' },
  { name: 'plain token', headers: { authorization: 'Bearer abc.def-ghi' }, want: 'token:abc.def-ghi' },
  { name: 'scheme is case-insensitive', headers: { authorization: 'bEaReR tok' }, want: 'token:tok' },
  { name: 'surrounding space trimmed', headers: { authorization: '  Bearer tok  ' }, want: 'token:tok' },
  { name: 'other scheme', headers: { authorization: 'Basic dXNlcjpwYXNz' }, want: 'none' },
  { name: 'scheme alone', headers: { authorization: 'Bearer' }, want: 'none' },
  { name: 'empty token after trim', headers: { authorization: 'Bearer   ' }, want: 'none' },
  { name: 'empty value', headers: { authorization: '' }, want: 'none' },
  { name: 'two Authorization headers', headers: { authorization: ['Bearer a', 'Bearer b'] }, want: 'malformed' },
  { name: 'two headers, one not bearer', headers: { authorization: ['Basic x', 'Bearer b'] }, want: 'malformed' },
  { name: 'CRLF injected', headers: { authorization: 'Bearer a\r\nImpersonate-User: admin' }, want: 'malformed' },
  { name: 'bare LF', headers: { authorization: 'Bearer a\nb' }, want: 'malformed' },
  { name: 'NUL', headers: { authorization: 'Bearer a\u0000b' }, want: 'malformed' },
  { name: 'space inside token', headers: { authorization: 'Bearer a b' }, want: 'malformed' },
  { name: 'double space before token', headers: { authorization: 'Bearer  a' }, want: 'malformed' },
  { name: 'joined duplicates', headers: { authorization: 'Bearer a, Bearer b' }, want: 'malformed' },
  { name: 'non-ASCII token', headers: { authorization: 'Bearer tøken' }, want: 'malformed' },
  { name: 'token at the limit', headers: { authorization: `Bearer ${big}` }, want: `token:${big}` },
  { name: 'token over the limit', headers: { authorization: `Bearer ${big}a` }, want: 'malformed' },
  { name: 'huge header', headers: { authorization: `Bearer ${big}${big}` }, want: 'malformed' },
];

for (const c of cases) {
  test(`parseBearer: ${c.name}`, () => {
    const p = parseBearer(c.headers);
    assert.equal(p.kind === 'token' ? `token:${p.token}` : p.kind, c.want);
  });
}

test('rawHeaderMap keeps repeated Authorization lines that node would drop', () => {
  const h = rawHeaderMap(['Authorization', 'Bearer a', 'authorization', 'Bearer b', 'Host', 'x']);
  assert.deepEqual(h.authorization, ['Bearer a', 'Bearer b']);
  assert.equal(parseBearer(h).kind, 'malformed');
});

const member = (name: string, table: Record<string, AuthnResult>): TokenAuthenticator => ({
  name,
  async authenticateToken(token) {
    return table[token] ?? { kind: 'no-opinion' };
  },
});
const alice: AuthnResult = { kind: 'authenticated', method: 'file', user: { username: 'alice', groups: [] } };
const expired: AuthnResult = { kind: 'rejected', method: 'sa', error: new AuthnError('Expired', 'token expired') };
const req = (authorization?: string | string[]) => ({ headers: authorization === undefined ? {} : { authorization }, socket: undefined });

const authCases: { name: string; authorization?: string | string[]; want: string }[] = [
  { name: 'no header: no opinion', want: 'no-opinion' },
  { name: 'basic: no opinion', authorization: 'Basic abc', want: 'no-opinion' },
  { name: 'known token', authorization: 'Bearer good', want: 'authenticated:alice' },
  { name: 'unknown token is rejected, never no opinion', authorization: 'Bearer nope', want: 'rejected:invalid bearer token' },
  { name: 'a member rejection stops the search', authorization: 'Bearer old', want: 'rejected:token expired' },
  { name: 'duplicate headers rejected', authorization: ['Bearer good', 'Bearer good'], want: 'rejected:invalid bearer token: multiple Authorization headers' },
  { name: 'oversized token rejected', authorization: `Bearer ${big}x`, want: 'rejected:invalid bearer token: bearer token too large' },
];

for (const c of authCases) {
  test(`BearerTokenAuthenticator: ${c.name}`, async () => {
    const a = new BearerTokenAuthenticator([member('sa', { old: expired }), member('file', { good: alice, old: alice })]);
    const r = await a.authenticate(req(c.authorization));
    const got = r.kind === 'authenticated' ? `authenticated:${r.user.username}` : r.kind === 'rejected' ? `rejected:${r.error.message}` : r.kind;
    assert.equal(got, c.want);
  });
}

test('BearerTokenAuthenticator: a member that throws rejects', async () => {
  const boom: TokenAuthenticator = { name: 'boom', authenticateToken: async () => { throw new Error('down'); } };
  const r = await new BearerTokenAuthenticator([boom]).authenticate(req('Bearer x'));
  assert.equal(r.kind, 'rejected');
});

test('BearerTokenAuthenticator: no members still rejects a presented token', async () => {
  const r = await new BearerTokenAuthenticator([]).authenticate(req('Bearer x'));
  assert.equal(r.kind, 'rejected');
});
