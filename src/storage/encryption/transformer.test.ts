import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { newCipher } from './ciphers.ts';
import { parseEncryptionConfig } from './config.ts';
import { buildTransformers } from './transformer.ts';

const key = (b: number, n = 32) => Buffer.alloc(n, b).toString('base64');
const config = (providers: unknown[], resources = ['secrets']) =>
  parseEncryptionConfig({ apiVersion: 'apiserver.config.k8s.io/v1', kind: 'EncryptionConfiguration', resources: [{ resources, providers }] });
const SECRETS = { group: '', resource: 'secrets' };
const K = '/registry/core/secrets/default/s1';
const obj = { metadata: { name: 's1' }, data: { password: 'aHVudGVyMg==' } };

describe('ciphers', () => {
  test('aescbc is IV + PKCS#7-padded AES-CBC (checked against openssl)', () => {
    const iv = Buffer.alloc(16, 9);
    const k = Buffer.alloc(32, 3);
    const sealed = newCipher('aescbc', k, () => iv).seal(Buffer.from('hello world'), Buffer.alloc(0));
    assert.deepEqual(sealed.subarray(0, 16), iv);
    let expected: Buffer;
    try {
      expected = execFileSync('openssl', ['enc', '-aes-256-cbc', '-K', k.toString('hex'), '-iv', iv.toString('hex')], { input: 'hello world' });
    } catch {
      return; // no openssl: the round trips below still run
    }
    assert.deepEqual(sealed.subarray(16), expected);
  });

  for (const type of ['aescbc', 'aesgcm', 'secretbox'] as const) {
    test(`${type}: round trip; a wrong key does not open`, () => {
      const c = newCipher(type, Buffer.alloc(32, 1));
      const aad = Buffer.from(K);
      const sealed = c.seal(Buffer.from('{"a":1}'), aad);
      assert.equal(c.open(sealed, aad).toString(), '{"a":1}');
      assert.throws(() => newCipher(type, Buffer.alloc(32, 2)).open(sealed, aad));
    });
  }

  test('aesgcm binds the value to its key (authenticated data) with Go\'s error text', () => {
    const c = newCipher('aesgcm', Buffer.alloc(16, 1));
    const sealed = c.seal(Buffer.from('x'), Buffer.from('/a'));
    assert.equal(sealed.length, 12 + 1 + 16);
    assert.throws(() => c.open(sealed, Buffer.from('/b')), /^Error: cipher: message authentication failed$/);
  });
});

describe('prefix transformers', () => {
  test("the first provider writes with its first key under upstream's prefix", () => {
    for (const type of ['aescbc', 'aesgcm', 'secretbox']) {
      const t = buildTransformers(config([{ [type]: { keys: [{ name: 'key1', secret: key(1) }, { name: 'key0', secret: key(2) }] } }])).forResource(SECRETS);
      const stored = t.toStorage(obj, K) as string;
      assert.match(stored, new RegExp(`^k8s:enc:${type}:v1:key1:[A-Za-z0-9+/=]+$`));
      assert.ok(!stored.includes('aHVudGVyMg'));
      assert.deepEqual(t.fromStorage(stored, K), { value: obj, stale: false });
    }
  });

  test('identity first writes plaintext; encrypted values still read through the later provider (stale)', () => {
    const enc = buildTransformers(config([{ aesgcm: { keys: [{ name: 'k', secret: key(1) }] } }])).forResource(SECRETS);
    const t = buildTransformers(config([{ identity: {} }, { aesgcm: { keys: [{ name: 'k', secret: key(1) }] } }])).forResource(SECRETS);
    assert.equal(t.toStorage(obj, K), obj);
    assert.deepEqual(t.fromStorage(enc.toStorage(obj, K), K), { value: obj, stale: true });
  });

  test('plaintext reads only with identity in the list, and is stale then', () => {
    const withIdentity = buildTransformers(config([{ secretbox: { keys: [{ name: 'k', secret: key(1) }] } }, { identity: {} }])).forResource(SECRETS);
    assert.deepEqual(withIdentity.fromStorage(obj, K), { value: obj, stale: true });
    const without = buildTransformers(config([{ secretbox: { keys: [{ name: 'k', secret: key(1) }] } }])).forResource(SECRETS);
    assert.throws(() => without.fromStorage(obj, K), /^Error: no matching prefix found$/);
  });

  test('rotation: an old key read later in the list is stale; a missing key is named', () => {
    const old = buildTransformers(config([{ aescbc: { keys: [{ name: 'old', secret: key(1) }] } }])).forResource(SECRETS);
    const stored = old.toStorage(obj, K);
    const rotated = buildTransformers(config([{ aescbc: { keys: [{ name: 'new', secret: key(2) }, { name: 'old', secret: key(1) }] } }])).forResource(SECRETS);
    assert.deepEqual(rotated.fromStorage(stored, K), { value: obj, stale: true });
    const dropped = buildTransformers(config([{ aescbc: { keys: [{ name: 'new', secret: key(2) }] } }])).forResource(SECRETS);
    assert.throws(() => dropped.fromStorage(stored, K), /^Error: no matching key was found for the provided AES transformer$/);
    const wrongSecret = buildTransformers(config([{ aesgcm: { keys: [{ name: 'old', secret: key(3) }] } }])).forResource(SECRETS);
    const gcmStored = buildTransformers(config([{ aesgcm: { keys: [{ name: 'old', secret: key(1) }] } }])).forResource(SECRETS).toStorage(obj, K);
    assert.throws(() => wrongSecret.fromStorage(gcmStored, K), /^Error: cipher: message authentication failed$/);
  });

  test('lookup: exact, then *.group, then *.*; unnamed resources refuse encrypted data', () => {
    const c = parseEncryptionConfig({
      apiVersion: 'apiserver.config.k8s.io/v1',
      kind: 'EncryptionConfiguration',
      resources: [
        { resources: ['secrets'], providers: [{ aesgcm: { keys: [{ name: 'a', secret: key(1) }] } }] },
        { resources: ['*.apps'], providers: [{ secretbox: { keys: [{ name: 'b', secret: key(2) }] } }] },
      ],
    });
    const ts = buildTransformers(c);
    assert.match(ts.forResource({ group: 'apps', resource: 'deployments' }).toStorage(obj, K) as string, /^k8s:enc:secretbox:v1:b:/);
    const cm = ts.forResource({ group: '', resource: 'configmaps' });
    assert.equal(cm.toStorage(obj, K), obj);
    assert.throws(() => cm.fromStorage('k8s:enc:aesgcm:v1:a:AAAA', K), /^Error: identity transformer tried to read encrypted data$/);
  });
});
