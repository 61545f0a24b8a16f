import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compactVerify, createLocalJWKSet } from 'jose';
import { buildOidcDiscovery, serveOidcDiscovery } from './discovery.ts';
import { issueToken } from './issuer.ts';
import { ISSUER, T0, ecKey, rsaKey, verificationOf } from './test-fixtures.ts';

const EC = ecKey();
const RSA = rsaKey();
const KEYS = [verificationOf(EC), verificationOf(RSA)];

test('openid-configuration and JWKS shapes', async () => {
  const d = await buildOidcDiscovery({ issuer: ISSUER, keys: KEYS, externalAddress: 'api.example.com:6443' });
  const config = serveOidcDiscovery(d, '/.well-known/openid-configuration')!;
  assert.equal(config.contentType, 'application/json');
  assert.deepEqual(config.headers, { 'cache-control': 'public, max-age=3600' });
  assert.deepEqual(JSON.parse(config.body), {
    issuer: ISSUER,
    jwks_uri: 'https://api.example.com:6443/openid/v1/jwks',
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['ES256', 'RS256'],
  });
  const jwks = serveOidcDiscovery(d, '/openid/v1/jwks')!;
  assert.equal(jwks.contentType, 'application/jwk-set+json');
  const set = JSON.parse(jwks.body) as { keys: Record<string, string>[] };
  assert.deepEqual(set.keys.map((k) => Object.keys(k)), [
    ['use', 'kty', 'kid', 'crv', 'alg', 'x', 'y'],
    ['use', 'kty', 'kid', 'alg', 'n', 'e'],
  ]);
  assert.deepEqual(set.keys.map((k) => [k.kid, k.alg, k.use]), [[EC.kid, 'ES256', 'sig'], [RSA.kid, 'RS256', 'sig']]);
  assert.ok(!jwks.body.includes('"d"'), 'no private key material');
  assert.equal(serveOidcDiscovery(d, '/openid/v1/other'), undefined);
});

test('a relying party verifies our tokens with the published JWKS alone', async () => {
  const d = await buildOidcDiscovery({ issuer: ISSUER, keys: KEYS, jwksUri: 'https://keys.example.com/jwks' });
  assert.equal(JSON.parse(d.configJson).jwks_uri, 'https://keys.example.com/jwks');
  const jwks = createLocalJWKSet(JSON.parse(d.jwksJson));
  for (const key of [EC, RSA]) {
    const { token } = await issueToken({ namespace: 'ns', serviceAccount: { name: 'sa', uid: 'u' }, audiences: ['x'], expirationSeconds: 600, issuer: ISSUER, now: T0, key });
    const { protectedHeader } = await compactVerify(token, jwks);
    assert.equal(protectedHeader.kid, key.kid);
  }
});

test('discovery refuses what upstream refuses', async () => {
  const cases: { name: string; issuer: string; jwksUri?: string; externalAddress?: string; re: RegExp }[] = [
    { name: 'http issuer', issuer: 'http://k8s.example', externalAddress: 'a', re: /must use https scheme/ },
    { name: 'legacy-style issuer', issuer: 'kubernetes/serviceaccount', externalAddress: 'a', re: /not a URL/ },
    { name: 'query', issuer: 'https://k8s.example/?a=b', externalAddress: 'a', re: /may not include a query/ },
    { name: 'fragment', issuer: 'https://k8s.example/#x', externalAddress: 'a', re: /may not include a fragment/ },
    { name: 'no address', issuer: ISSUER, re: /could not construct a valid URL/ },
    { name: 'address with a scheme', issuer: ISSUER, externalAddress: 'https://x', re: /could not construct a valid URL/ },
    { name: 'http jwks uri', issuer: ISSUER, jwksUri: 'http://x/jwks', re: /requires https scheme/ },
  ];
  for (const c of cases) {
    await assert.rejects(buildOidcDiscovery({ issuer: c.issuer, keys: KEYS, jwksUri: c.jwksUri, externalAddress: c.externalAddress }), c.re, c.name);
  }
  await assert.rejects(buildOidcDiscovery({ issuer: ISSUER, keys: [], externalAddress: 'a' }), /no keys/);
});
