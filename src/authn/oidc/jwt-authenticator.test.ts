import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, type JWTPayload } from 'jose';
import type { AuthnResult } from '../types.ts';
import { buildOidcAuthenticators } from './build.ts';
import { newSigningKey, TestProvider } from './test-provider.ts';
import type { OidcFlags } from './flags.ts';

const T0 = new Date();
let clock = T0.getTime();
const now = () => new Date(clock);
const sec = () => Math.floor(clock / 1000);

let p: TestProvider;
let caFile = '';
before(async () => {
  p = await TestProvider.start(T0);
  // --oidc-ca-file names a file, so the provider's CA goes through one.
  caFile = join(mkdtempSync(join(tmpdir(), 'oidc-test-')), 'ca.pem');
  writeFileSync(caFile, p.ca.certPem);
});
after(async () => {
  await p.close();
});

const flags = (over: Partial<OidcFlags> = {}): OidcFlags => ({ issuerUrl: p.issuer, clientId: 'kube', groupsClaim: 'groups', groupsPrefix: 'oidc:', ...over });
const fromFlags = (over: Partial<OidcFlags> = {}) => buildOidcAuthenticators({ flags: flags(over), now, clockSkewSeconds: 30 }).authenticators[0]!;
const auth = (over: Partial<OidcFlags> = {}) => fromFlags({ caFile, ...over });

const claims = (over: JWTPayload = {}): JWTPayload => ({ iss: p.issuer, aud: 'kube', sub: 'alice', iat: sec(), exp: sec() + 600, groups: ['dev', 'ops'], ...over });

function b64(o: object): string {
  return Buffer.from(JSON.stringify(o)).toString('base64url');
}

function rejected(r: AuthnResult, pattern: RegExp): void {
  assert.equal(r.kind, 'rejected', JSON.stringify(r));
  if (r.kind === 'rejected') assert.match(r.error.message, pattern);
}

describe('OIDC from flags against a local provider', () => {
  it('authenticates a good token with the issuer-prefixed username and prefixed groups', async () => {
    const r = await auth().authenticateToken(await p.sign(claims()));
    assert.deepEqual(r, { kind: 'authenticated', method: 'oidc', user: { username: `${p.issuer}#alice`, groups: ['oidc:dev', 'oidc:ops'] } });
  });

  it('applies the username prefix rules', async () => {
    const cases: { over: Partial<OidcFlags>; tok: JWTPayload; want: string }[] = [
      { over: { usernamePrefix: '-' }, tok: {}, want: 'alice' },
      { over: { usernamePrefix: 'corp:' }, tok: {}, want: 'corp:alice' },
      { over: { usernameClaim: 'email' }, tok: { email: 'a@example.com', email_verified: true }, want: 'a@example.com' },
      { over: { usernameClaim: 'email' }, tok: { email: 'a@example.com' }, want: 'a@example.com' },
    ];
    for (const c of cases) {
      const r = await auth(c.over).authenticateToken(await p.sign(claims(c.tok)));
      assert.equal(r.kind === 'authenticated' && r.user.username, c.want, JSON.stringify(c));
    }
  });

  it('has no opinion on tokens of another issuer or tokens that are no JWT', async () => {
    const a = auth();
    assert.deepEqual(await a.authenticateToken(await p.sign(claims({ iss: 'https://elsewhere.example' }))), { kind: 'no-opinion' });
    assert.deepEqual(await a.authenticateToken('opaque-token'), { kind: 'no-opinion' });
    assert.deepEqual(await a.authenticateToken('a.b.c'), { kind: 'no-opinion' });
  });

  it('rejects bad tokens of its issuer', async () => {
    const ghost = await newSigningKey('ghost');
    const good = await p.sign(claims());
    const [h, , s] = good.split('.');
    const pem = createPublicKey({ key: p.keys[0]!.publicJwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    const cases: { name: string; token: () => Promise<string>; want: RegExp; over?: Partial<OidcFlags> }[] = [
      { name: 'wrong audience', token: () => p.sign(claims({ aud: ['other'] })), want: /expected audience in \["kube"\] got \["other"\]/ },
      { name: 'expired beyond skew', token: () => p.sign(claims({ exp: sec() - 31 })), want: /expired/ },
      // go-oidc gives exp no leeway (the skew is for nbf): a token expired a second ago is refused.
      { name: 'expired within the skew', token: () => p.sign(claims({ exp: sec() - 1 })), want: /expired/ },
      { name: 'not yet valid beyond skew', token: () => p.sign(claims({ nbf: sec() + 31 })), want: /nbf/ },
      { name: 'issued in the future', token: () => p.sign(claims({ iat: sec() + 120 })), want: /issued in the future/ },
      { name: 'no exp', token: () => p.sign(claims({ exp: undefined })), want: /exp/ },
      { name: 'alg none', token: async () => `${b64({ alg: 'none' })}.${b64(claims())}.`, want: /unsupported algorithm, expected \["RS256"\] got "none"/ },
      {
        name: 'HS256 keyed with the public key',
        token: () => new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: 'key-1' }).sign(Buffer.from(pem)),
        want: /unsupported algorithm.*"HS256"/,
      },
      { name: 'unknown kid', token: () => p.sign(claims(), { key: ghost }), want: /no key matches/ },
      { name: 'known kid, wrong key', token: () => p.sign(claims(), { key: ghost, kid: 'key-1' }), want: /signature verification failed/ },
      { name: 'tampered payload', token: async () => `${h}.${b64(claims({ sub: 'admin' }))}.${s}`, want: /signature verification failed/ },
      { name: 'required claim missing', token: () => p.sign(claims()), want: /required claim hd not present in ID token/, over: { requiredClaims: ['hd=example.com'] } },
      { name: 'required claim differs', token: () => p.sign(claims({ hd: 'evil.com' })), want: /required claim hd value does not match. Got = evil.com, want = example.com/, over: { requiredClaims: ['hd=example.com'] } },
      { name: 'email not verified', token: () => p.sign(claims({ email: 'a@x', email_verified: false })), want: /oidc: email not verified/, over: { usernameClaim: 'email' } },
      { name: 'username claim missing', token: () => p.sign(claims({ sub: undefined })), want: /parse username claims "sub": claim not present/ },
      { name: 'groups not strings', token: () => p.sign(claims({ groups: [1] })), want: /parse groups claim "groups"/ },
      { name: 'ES256 when only RS256 allowed', token: async () => p.sign(claims(), { key: await newSigningKey('ec', 'ES256'), alg: 'ES256' }), want: /unsupported algorithm.*"ES256"/ },
    ];
    for (const c of cases) {
      const r = await auth(c.over).authenticateToken(await c.token());
      rejected(r, c.want);
    }
  });

  it('accepts tokens within the clock skew (nbf, iat; never past exp)', async () => {
    const a = auth();
    for (const over of [{ nbf: sec() + 20 }, { iat: sec() + 20 }, { exp: sec() + 1 }]) {
      assert.equal((await a.authenticateToken(await p.sign(claims(over)))).kind, 'authenticated', JSON.stringify(over));
    }
  });

  it('verifies a token without kid against every published key', async () => {
    const old = p.keys;
    p.keys = [await newSigningKey('key-a'), await newSigningKey('key-b')];
    try {
      const a = auth();
      for (const key of p.keys) {
        const r = await a.authenticateToken(await p.sign(claims({ sub: key.kid }), { key, kid: null }));
        assert.equal(r.kind === 'authenticated' && r.user.username, `${p.issuer}#${key.kid}`);
      }
      rejected(await a.authenticateToken(await p.sign(claims(), { key: old[0]!, kid: null })), /signature verification failed/);
    } finally {
      p.keys = old;
    }
  });

  it('caches verified tokens until exp', async () => {
    const a = auth();
    const tok = await p.sign(claims({ exp: sec() + 100 }));
    assert.equal((await a.authenticateToken(tok)).kind, 'authenticated');
    const fetches = a.keys.fetches;
    p.down = true;
    try {
      // Served from the cache: no key lookup, so the provider being down does not matter.
      assert.equal((await a.authenticateToken(tok)).kind, 'authenticated');
      clock += 200_000;
      rejected(await a.authenticateToken(tok), /expired/);
      assert.equal(a.keys.fetches, fetches);
    } finally {
      p.down = false;
      clock = T0.getTime();
    }
  });

  it('decides a token verified before at once (authenticateTokenNow), as awaited; a first sight and an expired one wait', async () => {
    const a = auth();
    const tok = await p.sign(claims({ exp: sec() + 100 }));
    const first = a.authenticateTokenNow(tok);
    assert.ok(first instanceof Promise, 'first sight: the keys are fetched');
    const want = await first;
    assert.equal(want.kind, 'authenticated');
    const again = a.authenticateTokenNow(tok);
    assert.ok(!(again instanceof Promise), 'verified before');
    assert.deepEqual(again, want);
    assert.deepEqual(await a.authenticateToken(tok), want);
    clock += 200_000;
    try {
      const late = a.authenticateTokenNow(tok);
      assert.ok(late instanceof Promise, 'expired: out of the cache, verified again');
      rejected(await late, /expired/);
    } finally {
      clock = T0.getTime();
    }
  });

  it('refetches the JWKS when the provider rotates keys, rate-limited', async () => {
    const a = auth();
    assert.equal((await a.authenticateToken(await p.sign(claims()))).kind, 'authenticated');
    const before = p.jwksRequests;
    const old = p.keys;
    p.keys = [await newSigningKey('key-2')];
    try {
      clock += 11_000;
      assert.equal((await a.authenticateToken(await p.sign(claims()))).kind, 'authenticated');
      assert.equal(p.jwksRequests, before + 1);
      // A second unknown kid within the interval does not hit the provider again.
      rejected(await a.authenticateToken(await p.sign(claims(), { key: await newSigningKey('key-3') })), /no key matches/);
      assert.equal(p.jwksRequests, before + 1);
      // The old key is gone from the provider's set, so its tokens no longer verify.
      rejected(await a.authenticateToken(await p.sign(claims({ sub: 'old' }), { key: old[0]! })), /no key matches/);
    } finally {
      p.keys = old;
      clock = T0.getTime();
    }
  });

  it('fails closed when the provider is down, and recovers when it is back', async () => {
    const a = auth();
    p.down = true;
    try {
      rejected(await a.authenticateToken(await p.sign(claims())), /authenticator not initialized.*503/);
    } finally {
      p.down = false;
    }
    clock += 11_000;
    try {
      assert.equal((await a.authenticateToken(await p.sign(claims()))).kind, 'authenticated');
    } finally {
      clock = T0.getTime();
    }
  });

  it('refuses a provider that is not trusted or announces another issuer', async () => {
    rejected(await fromFlags({}).authenticateToken(await p.sign(claims())), /authenticator not initialized.*certificate/);
    p.announcedIssuer = 'https://evil.example';
    try {
      rejected(await auth().authenticateToken(await p.sign(claims())), /issuer did not match the issuer returned by provider/);
    } finally {
      p.announcedIssuer = undefined;
    }
  });
});

describe('OIDC from an AuthenticationConfiguration file', () => {
  const file = (jwt: string) => `apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\njwt:\n${jwt}`;
  const issuerBlock = () => `- issuer:
    url: ${p.issuer}
    audiences: [kube, other]
    audienceMatchPolicy: MatchAny
    certificateAuthority: |
${p.ca.certPem.trim().split('\n').map((l) => `      ${l}`).join('\n')}
`;
  const build = (rest: string) => buildOidcAuthenticators({ authenticationConfig: file(issuerBlock() + rest), now, clockSkewSeconds: 30 }).authenticators[0]!;

  it('maps claims with CEL and applies validation rules', async () => {
    const a = build(`  claimValidationRules:
  - expression: 'claims.hd == "example.com"'
    message: the hosted domain must be example.com
  claimMappings:
    username:
      expression: 'claims.sub + "@x"'
    groups:
      expression: 'claims.roles.map(r, "role:" + r)'
    uid:
      claim: sid
    extra:
    - key: example.org/tier
      valueExpression: 'claims.?tier.orValue("")'
    - key: example.org/level
      valueExpression: 'string(claims.level + 1)'
  userValidationRules:
  - expression: '!user.username.startsWith("system:")'
    message: no system users
`);
    const ok = await a.authenticateToken(await p.sign(claims({ aud: ['other'], hd: 'example.com', roles: ['a', 'b'], sid: 'u-1', level: 2 })));
    assert.deepEqual(ok, {
      kind: 'authenticated',
      method: 'oidc',
      user: { username: 'alice@x', groups: ['role:a', 'role:b'], uid: 'u-1', extra: { 'example.org/level': ['3'] } },
    });
    const cases: { tok: JWTPayload; want: RegExp }[] = [
      { tok: { hd: 'evil.com', roles: [], sid: 's', level: 1 }, want: /validation expression 'claims.hd == "example.com"' failed: the hosted domain must be example.com/ },
      { tok: { sub: 'system:admin', hd: 'example.com', roles: [], sid: 's', level: 1 }, want: /user info validation rule: validation expression '!user.username.startsWith\("system:"\)' failed: no system users/ },
      { tok: { hd: 'example.com', sid: 's', level: 1 }, want: /error evaluating group claim expression/ },
      { tok: { hd: 'example.com', roles: [], level: 1 }, want: /parse uid claim "sid": claim not present/ },
    ];
    for (const c of cases) rejected(await a.authenticateToken(await p.sign(claims(c.tok))), c.want);
  });

  it('uses a discoveryURL and checks email_verified via CEL', async () => {
    const a = build(`    discoveryURL: ${p.issuer}/custom-discovery
  claimValidationRules:
  - expression: 'claims.?email_verified.orValue(false) == true'
    message: email must be verified
  claimMappings:
    username:
      expression: 'claims.email'
`);
    const before = p.discoveryRequests;
    const ok = await a.authenticateToken(await p.sign(claims({ email: 'a@x', email_verified: true })));
    assert.equal(ok.kind === 'authenticated' && ok.user.username, 'a@x');
    assert.equal(p.discoveryRequests, before + 1);
    rejected(await a.authenticateToken(await p.sign(claims({ email: 'a@x', email_verified: false }))), /email must be verified/);
  });

  it('evaluates matches() on RE2: a pattern that backtracks exponentially in JavaScript gives a verdict', async () => {
    // With a backtracking RegExp, `^(a+)+$` against 55 a's and a '!' would never finish.
    const a = build(`  claimValidationRules:
  - expression: 'claims.hd.matches("^(a+)+$")'
    message: hd must be a's
  claimMappings:
    username:
      expression: 'claims.sub'
  userValidationRules:
  - expression: '!user.username.matches("^(a+)+$")'
    message: no a-only users
`);
    rejected(await a.authenticateToken(await p.sign(claims({ hd: `${'a'.repeat(55)}!` }))), /validation expression 'claims.hd.matches\("\^\(a\+\)\+\$"\)' failed: hd must be a's/);
    rejected(await a.authenticateToken(await p.sign(claims({ sub: 'aaaa', hd: 'aa' }))), /no a-only users/);
    const ok = await a.authenticateToken(await p.sign(claims({ sub: `${'a'.repeat(55)}!`, hd: 'aaa' })));
    assert.equal(ok.kind === 'authenticated' && ok.user.username, `${'a'.repeat(55)}!`);
  });

  it('tries each issuer in turn: no opinion for unknown ones', async () => {
    const built = buildOidcAuthenticators({
      authenticationConfig: file(`${issuerBlock()}  claimMappings:\n    username:\n      claim: sub\n      prefix: ""\n- issuer:\n    url: https://other.example\n    audiences: [kube]\n  claimMappings:\n    username:\n      claim: sub\n      prefix: "o:"\n`),
      now,
    });
    assert.equal(built.authenticators.length, 2);
    const tok = await p.sign(claims());
    assert.equal((await built.authenticators[0]!.authenticateToken(tok)).kind, 'authenticated');
    assert.deepEqual(await built.authenticators[1]!.authenticateToken(tok), { kind: 'no-opinion' });
  });
});
