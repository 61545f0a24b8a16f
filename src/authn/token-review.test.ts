import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../api/errors.ts';
import { audienceAgnostic, reviewToken, type ReviewAuthenticate, type ReviewResult } from './token-review.ts';
import { BearerTokenAuthenticator, type TokenAuthenticator } from './bearer.ts';
import { AuthnError, type AuthnResult } from './types.ts';

const REQ = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', metadata: {} };

// A stand-in bearer chain: which token means what.
const RESULTS: Record<string, ReviewResult> = {
  alice: { kind: 'authenticated', method: 'token-file', user: { username: 'alice', uid: 'u1', groups: ['dev'], extra: { scopes: ['x'] } } },
  bob: { kind: 'authenticated', method: 'token-file', user: { username: 'bob', groups: [] } },
  'sa-aud': { kind: 'authenticated', method: 'service-account', user: { username: 'system:serviceaccount:default:x', groups: ['system:serviceaccounts', 'system:authenticated'] }, audiences: ['vault'] },
  bad: { kind: 'rejected', method: 'bearer', error: new AuthnError('InvalidCredential', 'invalid bearer token') },
  internal: { kind: 'rejected', method: 'webhook', error: new AuthnError('Internal', 'connect ECONNREFUSED 10.0.0.7:8443') },
  unknown: { kind: 'no-opinion' },
};
const calls: { token: string; audiences: readonly string[] }[] = [];
const chain: ReviewAuthenticate = async (token, audiences) => {
  calls.push({ token, audiences });
  if (token === 'throws') throw new Error('boom at /var/lib/secret');
  return RESULTS[token] ?? RESULTS.unknown!;
};

const cases: { name: string; spec: unknown; want: unknown }[] = [
  {
    name: 'authenticated user with uid, groups and extra, plus system:authenticated',
    spec: { token: 'alice' },
    want: { authenticated: true, user: { username: 'alice', uid: 'u1', groups: ['dev', 'system:authenticated'], extra: { scopes: ['x'] } } },
  },
  { name: 'empty fields are omitted', spec: { token: 'bob' }, want: { authenticated: true, user: { username: 'bob', groups: ['system:authenticated'] } } },
  { name: 'rejected token: authenticated omitted, user empty, error', spec: { token: 'bad' }, want: { user: {}, error: 'invalid bearer token' } },
  { name: 'internal failure says nothing about the infrastructure', spec: { token: 'internal' }, want: { user: {}, error: 'token could not be verified' } },
  { name: 'a throwing authenticator is unauthenticated', spec: { token: 'throws' }, want: { user: {}, error: 'token could not be verified' } },
  { name: 'nobody knows the token', spec: { token: 'unknown' }, want: { user: {} } },
  {
    name: 'audience-aware answer returns the audiences',
    spec: { token: 'sa-aud', audiences: ['vault', 'other'] },
    want: { authenticated: true, user: { username: 'system:serviceaccount:default:x', groups: ['system:serviceaccounts', 'system:authenticated'] }, audiences: ['vault'] },
  },
];
for (const c of cases) {
  test(`token review: ${c.name}`, async () => {
    const r = await reviewToken({ ...REQ, spec: c.spec }, { authenticateToken: chain });
    assert.equal(r.code, 201);
    assert.deepEqual(r.body, { ...REQ, metadata: { creationTimestamp: null }, spec: c.spec, status: c.want });
  });
}

const badInput: { name: string; review: Record<string, unknown>; ns?: string; code: number; msg: string }[] = [
  { name: 'empty token', review: { ...REQ, spec: { token: '' } }, code: 400, msg: 'token is required for TokenReview in authentication' },
  { name: 'no spec', review: { ...REQ }, code: 400, msg: 'token is required for TokenReview in authentication' },
  { name: 'null token', review: { ...REQ, spec: { token: null } }, code: 400, msg: 'token is required for TokenReview in authentication' },
  { name: 'token not a string', review: { ...REQ, spec: { token: 42 } }, code: 400, msg: 'spec.token must be a string' },
  { name: 'spec not an object', review: { ...REQ, spec: ['x'] }, code: 400, msg: 'spec must be an object' },
  { name: 'audiences not strings', review: { ...REQ, spec: { token: 'alice', audiences: [1] } }, code: 400, msg: 'spec.audiences must be a list of strings' },
  { name: 'namespaced', review: { ...REQ, spec: { token: 'alice' } }, ns: 'default', code: 400, msg: 'namespace is not allowed on this type: default' },
  {
    name: 'authenticator ignored the audiences',
    review: { ...REQ, spec: { token: 'alice', audiences: ['vault'] } },
    code: 500,
    msg: 'Internal error occurred: error validating audiences',
  },
];
for (const c of badInput) {
  test(`token review bad input: ${c.name}`, async () => {
    await assert.rejects(reviewToken(c.review, { authenticateToken: chain }, c.ns), (e: unknown) => e instanceof ApiError && e.code === c.code && e.message === c.msg);
  });
}

test('metadata is echoed; the server audiences stand in when the review names none', async () => {
  calls.length = 0;
  const r = await reviewToken({ ...REQ, metadata: { name: 'x' }, spec: { token: 'sa-aud' } }, { authenticateToken: chain, apiAudiences: ['vault'] });
  assert.deepEqual(calls, [{ token: 'sa-aud', audiences: ['vault'] }]);
  assert.deepEqual(r.body.metadata, { name: 'x', creationTimestamp: null });
  assert.deepEqual((r.body.status as Record<string, unknown>).audiences, ['vault']);
});

test('v1beta1 reviews are answered in v1beta1', async () => {
  const r = await reviewToken({ apiVersion: 'authentication.k8s.io/v1beta1', kind: 'TokenReview', spec: { token: 'bob' } }, { authenticateToken: chain });
  assert.equal(r.body.apiVersion, 'authentication.k8s.io/v1beta1');
});

// The wiring the lead uses: the bearer chain, asked as a request with only the token, audience-agnostic.
const fileTokens: TokenAuthenticator = {
  name: 'token-file',
  authenticateToken: async (t): Promise<AuthnResult> => (t === 'secret' ? { kind: 'authenticated', method: 'token-file', user: { username: 'carol', groups: [] } } : { kind: 'no-opinion' }),
};
const bearer = new BearerTokenAuthenticator([fileTokens]);
const viaBearer = (implicit: string[]): ReviewAuthenticate =>
  audienceAgnostic(implicit, (token) => bearer.authenticate({ headers: { authorization: `Bearer ${token}` }, socket: undefined }));

const agnostic: { name: string; implicit: string[]; spec: Record<string, unknown>; want: unknown }[] = [
  { name: 'no audiences anywhere', implicit: [], spec: { token: 'secret' }, want: { authenticated: true, user: { username: 'carol', groups: ['system:authenticated'] } } },
  { name: 'server audience by default', implicit: ['https://kubernetes.default.svc'], spec: { token: 'secret' }, want: { authenticated: true, user: { username: 'carol', groups: ['system:authenticated'] }, audiences: ['https://kubernetes.default.svc'] } },
  { name: 'asked for the server audience', implicit: ['api', 'b'], spec: { token: 'secret', audiences: ['b', 'c'] }, want: { authenticated: true, user: { username: 'carol', groups: ['system:authenticated'] }, audiences: ['b'] } },
  { name: 'asked for another audience', implicit: ['api'], spec: { token: 'secret', audiences: ['vault'] }, want: { user: {} } },
  { name: 'unknown token', implicit: [], spec: { token: 'nope' }, want: { user: {}, error: 'invalid bearer token' } },
  { name: 'token with a space', implicit: [], spec: { token: 'a b' }, want: { user: {}, error: 'invalid bearer token: bearer token contains whitespace or non-ASCII characters' } },
];
for (const c of agnostic) {
  test(`token review through the bearer chain: ${c.name}`, async () => {
    const r = await reviewToken({ ...REQ, spec: c.spec }, { authenticateToken: viaBearer(c.implicit), apiAudiences: c.implicit });
    assert.deepEqual(r.body.status, c.want);
  });
}
