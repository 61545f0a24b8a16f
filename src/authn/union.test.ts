import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UnionAuthenticator } from './union.ts';
import { AuthnError, type AuthnResult, type RequestAuthenticator } from './types.ts';

const fixed = (name: string, r: AuthnResult | Error): RequestAuthenticator => ({
  name,
  async authenticate() {
    if (r instanceof Error) throw r;
    return r;
  },
});
const req = { headers: {}, socket: undefined };

test('first authenticated wins and gains system:authenticated', async () => {
  const u = new UnionAuthenticator([
    fixed('a', { kind: 'no-opinion' }),
    fixed('b', { kind: 'authenticated', method: 'b', user: { username: 'bob', groups: ['dev'] } }),
    fixed('c', { kind: 'authenticated', method: 'c', user: { username: 'carol', groups: [] } }),
  ]);
  const r = await u.authenticate(req);
  assert.equal(r.kind, 'authenticated');
  if (r.kind === 'authenticated') {
    assert.equal(r.user.username, 'bob');
    assert.equal(r.method, 'b');
    assert.deepEqual(r.user.groups, ['dev', 'system:authenticated']);
  }
});

test('a rejection stops the chain: a bad credential never falls through', async () => {
  const u = new UnionAuthenticator([
    fixed('x509', { kind: 'rejected', method: 'x509', error: new AuthnError('UntrustedIssuer', 'bad') }),
    fixed('anon', { kind: 'authenticated', method: 'anon', user: { username: 'system:anonymous', groups: [] } }),
  ]);
  assert.equal((await u.authenticate(req)).kind, 'rejected');
});

test('an authenticator that throws rejects (fail closed)', async () => {
  const u = new UnionAuthenticator([fixed('boom', new Error('kaput')), fixed('ok', { kind: 'authenticated', method: 'ok', user: { username: 'u', groups: [] } })]);
  const r = await u.authenticate(req);
  assert.equal(r.kind, 'rejected');
});

test('no opinion from all is no opinion', async () => {
  assert.equal((await new UnionAuthenticator([fixed('a', { kind: 'no-opinion' })]).authenticate(req)).kind, 'no-opinion');
});
