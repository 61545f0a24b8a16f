import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT, UnsecuredJWT } from 'jose';
import { BearerTokenAuthenticator } from '../bearer.ts';
import type { AuthnResult } from '../types.ts';
import { ServiceAccountTokenAuthenticator, type ServiceAccountAuthenticatorOptions } from './authenticator.ts';
import { issueLegacyToken, issueToken, type IssueTokenInput } from './issuer.ts';
import type { SigningKey } from './keys.ts';
import { FakeObjects, ISSUER, T0, clock, ecKey, rsaKey, verificationOf } from './test-fixtures.ts';

const KEY = ecKey();
const OLD_RSA = rsaKey();
const STRANGER = ecKey();
const SA_UID = 'sa-uid-1';

function world() {
  const objs = new FakeObjects();
  objs.serviceAccount('ns1', 'default', SA_UID);
  objs.pod('ns1', 'web', 'pod-uid-1', 'default', 'node-a');
  objs.node('node-a', 'node-uid-1');
  objs.secret('ns1', 'bound-secret', 'sec-uid-1');
  const c = clock();
  const make = (o: Partial<ServiceAccountAuthenticatorOptions> = {}) =>
    new ServiceAccountTokenAuthenticator({ issuers: [ISSUER], keys: [verificationOf(KEY), verificationOf(OLD_RSA)], get: objs.get, now: c.now, ...o });
  return { objs, c, auth: make(), make };
}

function issue(o: Partial<IssueTokenInput> = {}): Promise<string> {
  return issueToken({
    namespace: 'ns1',
    serviceAccount: { name: 'default', uid: SA_UID },
    audiences: [ISSUER],
    expirationSeconds: 3600,
    issuer: ISSUER,
    now: T0,
    key: KEY,
    jti: 'jti-1',
    ...o,
  }).then((t) => t.token);
}

const rejected = (r: AuthnResult, re?: RegExp) => {
  assert.equal(r.kind, 'rejected', JSON.stringify(r));
  if (re && r.kind === 'rejected') assert.match(r.error.message, re);
};

test('issue -> authenticate round trip, pod-bound with node info', async () => {
  const { auth } = world();
  const token = await issue({ boundObject: { kind: 'Pod', name: 'web', uid: 'pod-uid-1' }, podNode: { name: 'node-a', uid: 'node-uid-1' } });
  const r = await auth.authenticateToken(token);
  assert.deepEqual(r, {
    kind: 'authenticated',
    method: 'serviceaccount',
    user: {
      username: 'system:serviceaccount:ns1:default',
      uid: SA_UID,
      groups: ['system:serviceaccounts', 'system:serviceaccounts:ns1'],
      extra: {
        'authentication.kubernetes.io/pod-name': ['web'],
        'authentication.kubernetes.io/pod-uid': ['pod-uid-1'],
        'authentication.kubernetes.io/credential-id': ['JTI=jti-1'],
        'authentication.kubernetes.io/node-name': ['node-a'],
        'authentication.kubernetes.io/node-uid': ['node-uid-1'],
      },
    },
  });
});

test('the token carries upstream claims', async () => {
  const token = await issue({ boundObject: { kind: 'Secret', name: 'bound-secret', uid: 'sec-uid-1' }, warnAfterSeconds: 100 });
  const [h, p] = token.split('.').slice(0, 2).map((s) => JSON.parse(Buffer.from(s, 'base64url').toString()));
  assert.deepEqual(h, { alg: 'ES256', kid: KEY.kid });
  const iat = T0.getTime() / 1000;
  assert.deepEqual(p, {
    'kubernetes.io': { namespace: 'ns1', serviceaccount: { name: 'default', uid: SA_UID }, secret: { name: 'bound-secret', uid: 'sec-uid-1' }, warnafter: iat + 100 },
    iss: ISSUER,
    sub: 'system:serviceaccount:ns1:default',
    aud: [ISSUER],
    iat,
    nbf: iat,
    exp: iat + 3600,
    jti: 'jti-1',
  });
});

test('time: expiry and not-before with the clock skew', async () => {
  const cases: { name: string; issuedAt: number; checkAt: number; ok: boolean; re?: RegExp }[] = [
    { name: 'fresh', issuedAt: 0, checkAt: 10, ok: true },
    { name: 'expired within skew', issuedAt: 0, checkAt: 3600 + 59, ok: true },
    { name: 'expired beyond skew', issuedAt: 0, checkAt: 3600 + 61, ok: false, re: /has expired/ },
    { name: 'future within skew', issuedAt: 30, checkAt: 0, ok: true },
    { name: 'future beyond skew', issuedAt: 120, checkAt: 0, ok: false, re: /not valid yet/ },
  ];
  for (const c of cases) {
    const { auth, c: clk } = world();
    const token = await issue({ now: new Date(T0.getTime() + c.issuedAt * 1000) });
    clk.set(new Date(T0.getTime() + c.checkAt * 1000));
    const r = await auth.authenticateToken(token);
    if (c.ok) assert.equal(r.kind, 'authenticated', c.name);
    else rejected(r, c.re);
  }
});

test('a cached token still expires and still needs its objects', async () => {
  const { auth, c, objs } = world();
  const token = await issue({ boundObject: { kind: 'Pod', name: 'web', uid: 'pod-uid-1' } });
  assert.equal((await auth.authenticateToken(token)).kind, 'authenticated');
  assert.equal((await auth.authenticateToken(token)).kind, 'authenticated');
  objs.delete('/registry/core/pods/ns1/web');
  rejected(await auth.authenticateToken(token), /invalidated/);
  objs.pod('ns1', 'web', 'pod-uid-1');
  c.advance(3600 + 61);
  const r = await auth.authenticateToken(token);
  rejected(r, /has expired/);
  assert.equal(r.kind === 'rejected' && r.error.code, 'Expired');
});

test('audience must intersect the API audiences', async () => {
  const { make } = world();
  const token = await issue({ audiences: ['vault'] });
  rejected(await make().authenticateToken(token), /token audiences \["vault"\] is invalid for the target audiences \["https:\/\/kubernetes.default.svc.cluster.local"\]/);
  assert.equal((await make({ apiAudiences: ['api', 'vault'] }).authenticateToken(token)).kind, 'authenticated');
});

async function forged(header: Record<string, unknown>, sign: (input: string) => Promise<string> | string): Promise<string> {
  const iat = T0.getTime() / 1000;
  const payload = { iss: ISSUER, sub: 'system:serviceaccount:ns1:default', aud: [ISSUER], iat, nbf: iat, exp: iat + 3600, 'kubernetes.io': { namespace: 'ns1', serviceaccount: { name: 'default', uid: SA_UID } } };
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${input}.${await sign(input)}`;
}

test('forged and broken tokens naming our issuer are rejected', async () => {
  const { auth } = world();
  const good = await issue();
  const publicPem = new TextEncoder().encode(KEY.publicKey.export({ type: 'spki', format: 'pem' }).toString());
  const publicDer = new Uint8Array(KEY.publicKey.export({ type: 'spki', format: 'der' }));
  const iat = T0.getTime() / 1000;
  const hsWith = (secret: Uint8Array) =>
    new SignJWT({ 'kubernetes.io': { namespace: 'ns1', serviceaccount: { name: 'default', uid: SA_UID } } })
      .setProtectedHeader({ alg: 'HS256', kid: KEY.kid })
      .setIssuer(ISSUER).setSubject('system:serviceaccount:ns1:default').setAudience(ISSUER).setIssuedAt(iat).setExpirationTime(iat + 3600)
      .sign(secret);
  const signedBy = (k: SigningKey, kid: string) => issue({ key: { ...k, kid } });
  const cases: { name: string; token: string; re: RegExp }[] = [
    { name: 'alg none (jose)', token: new UnsecuredJWT({ 'kubernetes.io': {} }).setIssuer(ISSUER).encode(), re: /algorithm "none" is not allowed/ },
    { name: 'alg none with our kid', token: await forged({ alg: 'none', kid: KEY.kid }, () => ''), re: /not allowed/ },
    { name: 'alg missing', token: await forged({ kid: KEY.kid }, () => 'AAAA'), re: /not allowed/ },
    { name: 'HS256 keyed with the public key PEM', token: await hsWith(publicPem), re: /"HS256" is not allowed/ },
    { name: 'HS256 keyed with the public key DER', token: await hsWith(publicDer), re: /"HS256" is not allowed/ },
    { name: 'RS256 header on an EC key id', token: await forged({ alg: 'RS256', kid: KEY.kid }, () => good.split('.')[2]!), re: /no keys found/ },
    { name: 'unknown kid', token: await signedBy(STRANGER, 'no-such-kid'), re: /no keys found/ },
    { name: 'our kid, a stranger key', token: await signedBy(STRANGER, KEY.kid), re: /invalid signature/ },
    { name: 'no kid, a stranger key', token: await signedBy(STRANGER, ''), re: /invalid signature/ },
    { name: 'truncated signature', token: good.slice(0, -10), re: /invalid signature/ },
    { name: 'signature dropped', token: good.split('.').slice(0, 2).join('.') + '.', re: /invalid signature/ },
    { name: 'payload swapped', token: [good.split('.')[0], (await issue({ serviceAccount: { name: 'admin', uid: 'x' } })).split('.')[1], good.split('.')[2]].join('.'), re: /invalid signature/ },
    { name: 'garbage header', token: `!!!.${good.split('.')[1]}.${good.split('.')[2]}`, re: /malformed token header/ },
  ];
  for (const c of cases) {
    const r = await auth.authenticateToken(c.token);
    assert.equal(r.kind, 'rejected', `${c.name}: ${JSON.stringify(r)}`);
    if (r.kind === 'rejected') assert.match(r.error.message, c.re, c.name);
  }
});

test('tokens that are not ours get no opinion', async () => {
  const { auth } = world();
  const other = await issue({ issuer: 'https://accounts.example.com' });
  const cases = ['abc', 'a.b.c', 'a.b', '{"iss":"https://kubernetes.default.svc.cluster.local"}', 'x.' + Buffer.from('[1]').toString('base64url') + '.y', other, '0123456789abcdef.token'];
  for (const t of cases) assert.deepEqual(await auth.authenticateToken(t), { kind: 'no-opinion' }, t);
});

test('live objects: deleted or recreated ServiceAccount and bound objects revoke the token', async () => {
  const cases: { name: string; bind?: IssueTokenInput['boundObject']; change: (o: FakeObjects) => void; re: RegExp }[] = [
    { name: 'SA deleted', change: (o) => o.delete('/registry/core/serviceaccounts/ns1/default'), re: /serviceaccount "default" not found/ },
    { name: 'SA recreated', change: (o) => o.serviceAccount('ns1', 'default', 'sa-uid-2'), re: /service account UID \(sa-uid-2\) does not match claim \(sa-uid-1\)/ },
    { name: 'SA being deleted long ago', change: (o) => o.put('/registry/core/serviceaccounts/ns1/default', { metadata: { uid: SA_UID, deletionTimestamp: '2029-12-31T23:00:00Z' } }), re: /has been deleted/ },
    { name: 'pod deleted', bind: { kind: 'Pod', name: 'web', uid: 'pod-uid-1' }, change: (o) => o.delete('/registry/core/pods/ns1/web'), re: /service account token has been invalidated/ },
    { name: 'pod recreated', bind: { kind: 'Pod', name: 'web', uid: 'pod-uid-1' }, change: (o) => o.pod('ns1', 'web', 'pod-uid-2'), re: /pod UID \(pod-uid-2\) does not match/ },
    { name: 'secret deleted', bind: { kind: 'Secret', name: 'bound-secret', uid: 'sec-uid-1' }, change: (o) => o.delete('/registry/core/secrets/ns1/bound-secret'), re: /invalidated/ },
    { name: 'node deleted', bind: { kind: 'Node', name: 'node-a', uid: 'node-uid-1' }, change: (o) => o.delete('/registry/core/nodes/node-a'), re: /invalidated/ },
    { name: 'node recreated', bind: { kind: 'Node', name: 'node-a', uid: 'node-uid-1' }, change: (o) => o.node('node-a', 'node-uid-2'), re: /node UID \(node-uid-2\) does not match/ },
  ];
  for (const c of cases) {
    const { auth, objs } = world();
    const token = await issue({ boundObject: c.bind });
    assert.equal((await auth.authenticateToken(token)).kind, 'authenticated', `${c.name}: before`);
    c.change(objs);
    rejected(await auth.authenticateToken(token), c.re);
  }
});

test('node-bound token reports the node', async () => {
  const { auth } = world();
  const r = await auth.authenticateToken(await issue({ boundObject: { kind: 'Node', name: 'node-a', uid: 'node-uid-1' } }));
  assert.equal(r.kind, 'authenticated');
  if (r.kind === 'authenticated') assert.deepEqual(r.user.extra?.['authentication.kubernetes.io/node-uid'], ['node-uid-1']);
});

test('legacy secret-based tokens', async () => {
  const token = await issueLegacyToken({ namespace: 'ns1', serviceAccount: { name: 'default', uid: SA_UID }, secretName: 'default-token', key: KEY });
  const tokenSecret = (t: string, extra: Record<string, unknown> = {}) => ({
    type: 'kubernetes.io/service-account-token',
    metadata: { name: 'default-token', namespace: 'ns1', uid: 'legacy-uid', annotations: { 'kubernetes.io/service-account.name': 'default', 'kubernetes.io/service-account.uid': SA_UID } },
    data: { token: Buffer.from(t).toString('base64') },
    ...extra,
  });
  const cases: { name: string; secret?: unknown; ok: boolean; re?: RegExp }[] = [
    { name: 'valid', secret: tokenSecret(token), ok: true },
    { name: 'secret deleted', ok: false, re: /Token has been invalidated/ },
    { name: 'secret holds another token', secret: tokenSecret(token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A')), ok: false, re: /does not match server's copy/ },
    { name: 'secret for another SA', secret: { ...tokenSecret(token), metadata: { uid: 'legacy-uid', annotations: { 'kubernetes.io/service-account.name': 'other' } } }, ok: false, re: /is not a token of service account/ },
    { name: 'marked invalid', secret: { ...tokenSecret(token), metadata: { uid: 'x', labels: { 'kubernetes.io/legacy-token-invalid-since': '2029-01-01' }, annotations: { 'kubernetes.io/service-account.name': 'default' } } }, ok: false, re: /has been marked invalid/ },
  ];
  for (const c of cases) {
    const { auth, objs } = world();
    if (c.secret) objs.put('/registry/core/secrets/ns1/default-token', c.secret);
    const r = await auth.authenticateToken(token);
    if (c.ok) {
      assert.deepEqual(r, { kind: 'authenticated', method: 'serviceaccount', user: { username: 'system:serviceaccount:ns1:default', uid: SA_UID, groups: ['system:serviceaccounts', 'system:serviceaccounts:ns1'] } }, c.name);
    } else rejected(r, c.re);
  }
  const { make, objs } = world();
  objs.put('/registry/core/secrets/ns1/default-token', tokenSecret(token));
  assert.deepEqual(await make({ legacy: false }).authenticateToken(token), { kind: 'no-opinion' }, 'legacy disabled');
});

test('key rotation: listed old keys verify, unlisted keys do not', async () => {
  const { make } = world();
  const old = await issue({ key: OLD_RSA });
  assert.equal((await make().authenticateToken(old)).kind, 'authenticated', 'old RSA key still listed');
  rejected(await make({ keys: [verificationOf(KEY)] }).authenticateToken(old), /no keys found/);
  const byNew = await issue();
  rejected(await make({ keys: [verificationOf(OLD_RSA)] }).authenticateToken(byNew), /no keys found/);
});

test('several issuers are accepted; the bearer chain rejects what nobody recognises', async () => {
  const { make } = world();
  const auth = make({ issuers: ['https://old.example', ISSUER], apiAudiences: [ISSUER] });
  assert.equal((await auth.authenticateToken(await issue({ issuer: 'https://old.example' }))).kind, 'authenticated');
  const chain = new BearerTokenAuthenticator([auth]);
  const req = (token: string) => ({ headers: { authorization: `Bearer ${token}` }, socket: undefined });
  assert.equal((await chain.authenticate(req(await issue()))).kind, 'authenticated');
  rejected(await chain.authenticate(req('opaque-token')), /invalid bearer token/);
  assert.equal((await auth.authenticate(req(await issue()))).kind, 'authenticated');
  assert.deepEqual(await auth.authenticate({ headers: {}, socket: undefined }), { kind: 'no-opinion' });
});

test('bad configuration fails at construction', () => {
  const { objs } = world();
  assert.throws(() => new ServiceAccountTokenAuthenticator({ issuers: [], keys: [verificationOf(KEY)], get: objs.get }), /issuer/);
  assert.throws(() => new ServiceAccountTokenAuthenticator({ issuers: [ISSUER], keys: [], get: objs.get }), /at least one public key/);
  assert.throws(() => new ServiceAccountTokenAuthenticator({ issuers: [ISSUER], keys: [verificationOf(KEY)], get: objs.get, clockSkewSeconds: -1 }), /clockSkewSeconds/);
});
