import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ServiceAccountKeyError,
  generateServiceAccountKey,
  keyId,
  loadServiceAccountKeys,
  loadSigningKey,
  parseSigningKeyPem,
  parseVerificationKeysPem,
} from './keys.ts';

// The public key and key id of upstream's TestKeyIDStability (pkg/serviceaccount/keyid_test.go):
// the id must stay stable or tokens issued by kube-apiserver would not find their key here.
const UPSTREAM_PUBLIC_KEY = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA249XwEo9k4tM8fMxV7zx
OhcrP+WvXn917koM5Qr2ZXs4vo26e4ytdlrV0bQ9SlcLpQVSYjIxNfhTZdDt+ecI
zshKuv1gKIxbbLQMOuK1eA/4HALyEkFgmS/tleLJrhc65tKPMGD+pKQ/xhmzRuCG
51RoiMgbQxaCyYxGfNLpLAZK9L0Tctv9a0mJmGIYnIOQM4kC1A1I1n3EsXMWmeJU
j7OTh/AjjCnMnkgvKT2tpKxYQ59PgDgU8Ssc7RDSmSkLxnrv+OrN80j6xrw0OjEi
B4Ycr0PqfzZcvy8efTtFQ/Jnc4Bp1zUtFXt7+QeevePtQ2EcyELXE0i63T1CujRM
WwIDAQAB
-----END PUBLIC KEY-----
`;

test('key id is upstream keyIDFromPublicKey', () => {
  assert.equal(keyId(createPublicKey(UPSTREAM_PUBLIC_KEY)), 'JHJehTTTZlsspKHT-GaJxK7Kd1NQgZJu3fyK6K_QDYU');
  const [k] = parseVerificationKeysPem(UPSTREAM_PUBLIC_KEY, 'upstream');
  assert.equal(k!.kid, 'JHJehTTTZlsspKHT-GaJxK7Kd1NQgZJu3fyK6K_QDYU');
  assert.equal(k!.alg, 'RS256');
});

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = (o: { export(opts: object): string | Buffer }, opts: object) => o.export({ format: 'pem', ...opts }).toString();

test('private keys in every PEM encoding upstream reads', () => {
  const cases: { name: string; text: string; alg: string }[] = [
    { name: 'EC SEC1', text: pem(ec.privateKey, { type: 'sec1' }), alg: 'ES256' },
    { name: 'EC PKCS#8', text: pem(ec.privateKey, { type: 'pkcs8' }), alg: 'ES256' },
    { name: 'EC with EC PARAMETERS first', text: `-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n${pem(ec.privateKey, { type: 'sec1' })}`, alg: 'ES256' },
    { name: 'RSA PKCS#1', text: pem(rsa.privateKey, { type: 'pkcs1' }), alg: 'RS256' },
    { name: 'RSA PKCS#8', text: pem(rsa.privateKey, { type: 'pkcs8' }), alg: 'RS256' },
  ];
  for (const c of cases) {
    const k = parseSigningKeyPem(c.text, c.name);
    assert.equal(k.alg, c.alg, c.name);
    assert.equal(k.key.type, 'private', c.name);
    assert.equal(k.kid, keyId(k.publicKey), c.name);
  }
});

test('verification keys: public keys and private keys, several per file', () => {
  const text = pem(ec.publicKey, { type: 'spki' }) + pem(rsa.privateKey, { type: 'pkcs1' }) + pem(rsa.publicKey, { type: 'pkcs1' });
  const keys = parseVerificationKeysPem(text, 'multi');
  assert.deepEqual(keys.map((k) => k.alg), ['ES256', 'RS256', 'RS256']);
  assert.ok(keys.every((k) => k.key.type === 'public'));
  assert.equal(keys[1]!.kid, keys[2]!.kid);
});

test('unsupported or broken keys are refused by name', () => {
  const cases: { name: string; text: string; err: RegExp; verify?: boolean }[] = [
    { name: 'P-384', text: pem(generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey, { type: 'pkcs8' }), err: /curve secp384r1 is not supported/ },
    { name: 'RSA 1024', text: pem(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey, { type: 'pkcs1' }), err: /1024 bits is too small/ },
    { name: 'Ed25519', text: pem(generateKeyPairSync('ed25519').privateKey, { type: 'pkcs8' }), err: /ed25519 keys are not supported/ },
    { name: 'garbage', text: 'not a key', err: /does not contain a valid RSA or ECDSA private key/ },
    { name: 'public only', text: pem(ec.publicKey, { type: 'spki' }), err: /does not contain a valid RSA or ECDSA private key/ },
    { name: 'corrupt block', text: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', err: /invalid PRIVATE KEY block/ },
    { name: 'no keys', text: '-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n', err: /does not contain any valid RSA or ECDSA public keys/, verify: true },
  ];
  for (const c of cases) {
    assert.throws(() => (c.verify ? parseVerificationKeysPem(c.text, c.name) : parseSigningKeyPem(c.text, c.name)), (e: Error) => e instanceof ServiceAccountKeyError && c.err.test(e.message), c.name);
  }
});

test('loadServiceAccountKeys: key files default to the signing key, and must contain it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sa-keys-'));
  try {
    const signing = join(dir, 'sa.key');
    const other = join(dir, 'other.pub');
    writeFileSync(signing, pem(ec.privateKey, { type: 'sec1' }));
    writeFileSync(other, pem(rsa.publicKey, { type: 'spki' }));
    const a = loadServiceAccountKeys({ signingKeyFile: signing });
    assert.deepEqual(a.verification.map((k) => k.kid), [a.signing.kid]);
    const b = loadServiceAccountKeys({ signingKeyFile: signing, keyFiles: [other, signing, signing] });
    assert.equal(b.verification.length, 2, 'the same key listed twice is kept once');
    assert.throws(() => loadServiceAccountKeys({ signingKeyFile: signing, keyFiles: [other] }), /is not among the --service-account-key-file keys/);
    assert.throws(() => loadSigningKey(join(dir, 'missing')), /ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('generateServiceAccountKey creates a 0600 key once and keeps it', () => {
  for (const type of ['ecdsa', 'rsa'] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'sa-gen-'));
    try {
      const path = generateServiceAccountKey(dir, type);
      assert.equal(path, join(dir, 'pki', 'sa.key'));
      assert.equal(statSync(path).mode & 0o777, 0o600);
      const first = readFileSync(path, 'utf8');
      const k = loadSigningKey(path);
      assert.equal(k.alg, type === 'rsa' ? 'RS256' : 'ES256');
      const pub = parseVerificationKeysPem(readFileSync(join(dir, 'pki', 'sa.pub'), 'utf8'), 'sa.pub');
      assert.equal(pub[0]!.kid, k.kid);
      generateServiceAccountKey(dir, type);
      assert.equal(readFileSync(path, 'utf8'), first, 'an existing key is never replaced');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});
