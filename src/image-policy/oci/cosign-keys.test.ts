import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { encryptPrivateKey, generateSigningKeyPair, loadPrivateKey } from './cosign-keys.ts';

test('keygen: an encrypted P-256 key in cosign\'s PEM and its SPKI public key', () => {
  const pair = generateSigningKeyPair('s3cret');
  assert.match(pair.privateKeyPem, /^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n/);
  const doc = JSON.parse(Buffer.from(pair.privateKeyPem.split('\n').slice(1, -2).join(''), 'base64').toString()) as Record<string, unknown>;
  // go-securesystemslib's field order and cosign's default (Standard) scrypt parameters.
  assert.deepEqual(Object.keys(doc), ['kdf', 'cipher', 'ciphertext']);
  assert.deepEqual((doc['kdf'] as { params: unknown }).params, { N: 65536, r: 8, p: 1 });
  const key = loadPrivateKey(pair.privateKeyPem, 's3cret');
  assert.equal(key.asymmetricKeyType, 'ec');
  const msg = Buffer.from('payload');
  assert.ok(verify('sha256', msg, createPublicKey(pair.publicKeyPem), sign('sha256', msg, key)));
  assert.throws(() => loadPrivateKey(pair.privateKeyPem, 'wrong'), /decryption failed/);
  assert.throws(() => loadPrivateKey(pair.privateKeyPem, undefined), /COSIGN_PASSWORD/);
});

test('an empty password is a password; plain PEM keys are read as they are', () => {
  const { privateKey } = generateKeyPairSync('ed25519');
  assert.equal(loadPrivateKey(encryptPrivateKey(privateKey, ''), '').asymmetricKeyType, 'ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  assert.equal(loadPrivateKey(pem, undefined).asymmetricKeyType, 'ed25519');
});

test('scrypt parameters outside go-securesystemslib\'s three sets are refused', () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = encryptPrivateKey(privateKey, 'pw');
  const lines = pem.trim().split('\n');
  const doc = JSON.parse(Buffer.from(lines.slice(1, -1).join(''), 'base64').toString()) as { kdf: { params: { N: number } } };
  doc.kdf.params.N = 1024;
  const weak = `${lines[0]}\n${Buffer.from(JSON.stringify(doc)).toString('base64')}\n${lines.at(-1)}\n`;
  assert.throws(() => loadPrivateKey(weak, 'pw'), /unsupported scrypt parameters/);
});
