import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../api/errors.ts';
import { ServiceAccountTokenAuthenticator } from './authenticator.ts';
import { tokenRequestHandler, type TokenRequestDeps } from './token-request.ts';
import { FakeObjects, ISSUER, T0, ecKey, verificationOf } from './test-fixtures.ts';

const KEY = ecKey();

function setup(o: Partial<TokenRequestDeps> = {}) {
  const objs = new FakeObjects();
  objs.serviceAccount('ns1', 'builder', 'sa-uid');
  objs.pod('ns1', 'web', 'pod-uid', 'builder', 'node-a');
  objs.pod('ns1', 'other', 'pod-uid-2', 'default');
  objs.node('node-a', 'node-uid');
  objs.secret('ns1', 's1', 'sec-uid');
  const handler = tokenRequestHandler({ get: objs.get, now: () => T0, issuer: ISSUER, key: KEY, audiences: [ISSUER], newJti: () => 'jti-x', ...o });
  const auth = new ServiceAccountTokenAuthenticator({ issuers: [ISSUER], keys: [verificationOf(KEY)], get: objs.get, now: () => T0 });
  return { objs, handler, auth };
}

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());

test('defaults: API audiences, one hour, metadata from the ServiceAccount; the token authenticates', async () => {
  const { handler, auth } = setup();
  const annotations: Record<string, string> = {};
  const out = await handler('ns1', 'builder', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} }, { auditAnnotations: annotations });
  const token = (out.status as { token: string }).token;
  assert.deepEqual({ ...out, status: { ...(out.status as object), token: '<token>' } }, {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name: 'builder', namespace: 'ns1', uid: 'sa-uid', creationTimestamp: '2030-01-01T00:00:00Z' },
    spec: { audiences: [ISSUER], expirationSeconds: 3600, boundObjectRef: null },
    status: { token: '<token>', expirationTimestamp: '2030-01-01T01:00:00Z' },
  });
  assert.deepEqual(annotations, { 'authentication.kubernetes.io/issued-credential-id': 'JTI=jti-x' });
  const r = await auth.authenticateToken(token);
  assert.equal(r.kind, 'authenticated');
  if (r.kind === 'authenticated') assert.equal(r.user.username, 'system:serviceaccount:ns1:builder');
});

test('validation and lookups answer as upstream', async () => {
  const cases: { name: string; ns?: string; sa?: string; body: unknown; code: number; message: string }[] = [
    { name: 'missing SA', sa: 'ghost', body: {}, code: 404, message: 'serviceaccounts "ghost" not found' },
    { name: 'too short', body: { spec: { expirationSeconds: 599 } }, code: 422, message: 'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes' },
    { name: 'zero', body: { spec: { expirationSeconds: 0 } }, code: 422, message: 'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 0: may not specify a duration less than 10 minutes' },
    { name: 'too long', body: { spec: { expirationSeconds: 2 ** 32 + 1 } }, code: 422, message: 'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 4294967297: may not specify a duration larger than 2^32 seconds' },
    { name: 'not an integer', body: { spec: { expirationSeconds: 1.5 } }, code: 400, message: 'spec.expirationSeconds must be an integer' },
    { name: 'name mismatch', body: { metadata: { name: 'x' } }, code: 422, message: 'TokenRequest.authentication.k8s.io "builder" is invalid: metadata.name: Invalid value: "x": must match the service account name if specified' },
    { name: 'namespace mismatch', body: { metadata: { namespace: 'ns2' } }, code: 422, message: 'TokenRequest.authentication.k8s.io "builder" is invalid: metadata.namespace: Invalid value: "ns2": must match the service account namespace if specified' },
    { name: 'uid mismatch', body: { metadata: { uid: 'old' } }, code: 409, message: 'Operation cannot be fulfilled on TokenRequest.authentication.k8s.io "builder": the UID in the token request (old) does not match the UID of the service account (sa-uid)' },
    { name: 'bound pod missing', body: { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'nope' } } }, code: 404, message: 'pods "nope" not found' },
    { name: 'bound pod uid stale', body: { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web', uid: 'old' } } }, code: 409, message: 'Operation cannot be fulfilled on Pod "web": the UID in the bound object reference (old) does not match the UID in record. The object might have been deleted and then recreated' },
    { name: 'pod of another SA', body: { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'other' } } }, code: 400, message: 'cannot bind token for serviceaccount "builder" to pod running with different serviceaccount name.' },
    { name: 'secret missing', body: { spec: { boundObjectRef: { kind: 'Secret', apiVersion: 'v1', name: 'nope' } } }, code: 404, message: 'secrets "nope" not found' },
    { name: 'node missing', body: { spec: { boundObjectRef: { kind: 'Node', apiVersion: 'v1', name: 'nope' } } }, code: 404, message: 'nodes "nope" not found' },
    { name: 'unsupported kind', body: { spec: { boundObjectRef: { kind: 'Deployment', apiVersion: 'apps/v1', name: 'd' } } }, code: 400, message: 'cannot bind token to object of type apps/v1, Kind=Deployment' },
  ];
  for (const c of cases) {
    const { handler } = setup();
    await assert.rejects(handler(c.ns ?? 'ns1', c.sa ?? 'builder', c.body), (e: unknown) => {
      assert.ok(e instanceof ApiError, c.name);
      assert.equal(e.code, c.code, c.name);
      assert.equal(e.message, c.message, c.name);
      return true;
    });
  }
});

test('bound objects end up in the claims', async () => {
  const cases: { name: string; ref: Record<string, unknown>; claim: Record<string, unknown> }[] = [
    { name: 'pod with its node', ref: { kind: 'Pod', apiVersion: 'v1', name: 'web', uid: 'pod-uid' }, claim: { pod: { name: 'web', uid: 'pod-uid' }, node: { name: 'node-a', uid: 'node-uid' } } },
    { name: 'secret', ref: { kind: 'Secret', apiVersion: 'v1', name: 's1' }, claim: { secret: { name: 's1', uid: 'sec-uid' } } },
    { name: 'node', ref: { kind: 'Node', apiVersion: 'v1', name: 'node-a' }, claim: { node: { name: 'node-a', uid: 'node-uid' } } },
  ];
  for (const c of cases) {
    const { handler, auth } = setup();
    const out = await handler('ns1', 'builder', { spec: { boundObjectRef: c.ref } });
    const token = (out.status as { token: string }).token;
    const k = claimsOf(token)['kubernetes.io'];
    assert.deepEqual({ ...k, namespace: undefined, serviceaccount: undefined }, { namespace: undefined, serviceaccount: undefined, ...c.claim }, c.name);
    assert.equal((await auth.authenticateToken(token)).kind, 'authenticated', c.name);
  }
  // The pod's Node missing: its name is still reported.
  const { handler, objs } = setup();
  objs.delete('/registry/core/nodes/node-a');
  const out = await handler('ns1', 'builder', { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web' } } });
  assert.deepEqual(claimsOf((out.status as { token: string }).token)['kubernetes.io'].node, { name: 'node-a' });
});

test('max expiration shortens with a warning; audiences as asked', async () => {
  const { handler } = setup({ maxExpirationSeconds: 7200 });
  const warnings: string[] = [];
  const out = await handler('ns1', 'builder', { spec: { expirationSeconds: 86400, audiences: ['vault', 'api'] } }, { warnings });
  assert.deepEqual(warnings, ['requested expiration of 86400 seconds shortened to 7200 seconds']);
  assert.deepEqual(out.spec, { audiences: ['vault', 'api'], expirationSeconds: 7200, boundObjectRef: null });
  const c = claimsOf((out.status as { token: string }).token);
  assert.equal(c.exp - c.iat, 7200);
  assert.deepEqual(c.aud, ['vault', 'api']);
  assert.equal((out.status as { expirationTimestamp: string }).expirationTimestamp, '2030-01-01T02:00:00Z');
});

test('extended expiration for kubelet pod tokens, only when enabled', async () => {
  const body = { spec: { expirationSeconds: 3607, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web' } } };
  const plain = claimsOf(((await setup().handler('ns1', 'builder', body)).status as { token: string }).token);
  assert.equal(plain.exp - plain.iat, 3607);
  assert.equal(plain['kubernetes.io'].warnafter, undefined);
  const out = await setup({ extendExpiration: true }).handler('ns1', 'builder', body);
  const ext = claimsOf((out.status as { token: string }).token);
  assert.equal(ext.exp - ext.iat, 365 * 24 * 3600);
  assert.equal(ext['kubernetes.io'].warnafter, ext.iat + 3607);
  assert.equal((out.status as { expirationTimestamp: string }).expirationTimestamp, '2030-01-01T01:00:07Z');
});

test('bad configuration fails when the handler is built', () => {
  const objs = new FakeObjects();
  const base = { get: objs.get, now: () => T0, issuer: ISSUER, key: KEY, audiences: [ISSUER] };
  assert.throws(() => tokenRequestHandler({ ...base, issuer: '' }), /issuer/);
  assert.throws(() => tokenRequestHandler({ ...base, audiences: [] }), /audience/);
  assert.throws(() => tokenRequestHandler({ ...base, maxExpirationSeconds: 60 }), /at least 600/);
});
