import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { HKDF_SHA256_XNONCE_AES_GCM_SEED, messages } from './kms-v2-api.ts';
import type { KmsService } from './kms-v2-client.ts';
import { KmsV2Provider } from './kms-v2-provider.ts';

/** An in-process plugin: AES-GCM key encryption keys by key ID; `down` makes every call fail. */
function fakePlugin() {
  const keks = new Map([['k1', randomBytes(32)]]);
  const p = {
    keyId: 'k1',
    down: false,
    calls: { status: 0, encrypt: 0, decrypt: 0 },
    rotate(id: string) {
      keks.set(id, randomBytes(32));
      p.keyId = id;
    },
    service: undefined as unknown as KmsService,
  };
  const fail = () => {
    if (p.down) throw new Error('rpc error: code = Unavailable desc = connection refused');
  };
  p.service = {
    async status() {
      p.calls.status++;
      fail();
      return { version: 'v2', healthz: 'ok', key_id: p.keyId };
    },
    async encrypt(_uid, plaintext) {
      p.calls.encrypt++;
      fail();
      const nonce = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', keks.get(p.keyId)!, nonce);
      const body = Buffer.concat([nonce, c.update(plaintext), c.final(), c.getAuthTag()]);
      return { ciphertext: body, key_id: p.keyId, annotations: { 'key-id.kms.example.io': Buffer.from(p.keyId) } };
    },
    async decrypt(_uid, req) {
      p.calls.decrypt++;
      fail();
      const d = createDecipheriv('aes-256-gcm', keks.get(req.key_id)!, req.ciphertext.subarray(0, 12));
      d.setAuthTag(req.ciphertext.subarray(req.ciphertext.length - 16));
      return Buffer.concat([d.update(req.ciphertext.subarray(12, req.ciphertext.length - 16)), d.final()]);
    },
    close() {},
  };
  return p;
}

const AAD = Buffer.from('/registry/core/secrets/ns/s');
const DATA = Buffer.from('{"data":{"password":"c2VjcmV0"}}');

function provider(plugin: ReturnType<typeof fakePlugin>, clock: { t: number }) {
  return new KmsV2Provider({ name: 'vault', service: plugin.service, now: () => clock.t, positiveIntervalMs: 1e9, negativeIntervalMs: 1e9 });
}

describe('KMS v2 provider', () => {
  test('seals into upstream EncryptedObject (seed type, key ID, annotations) and opens it; the storage key is authenticated', async () => {
    const plugin = fakePlugin();
    const clock = { t: 1_000_000 };
    const p = provider(plugin, clock);
    await p.start();
    const sealed = p.seal(DATA, AAD);
    assert.ok(!sealed.includes(DATA));
    const o = messages.EncryptedObject.decode(sealed);
    assert.equal(o.keyID, 'k1');
    assert.equal(o.encryptedDEKSourceType, HKDF_SHA256_XNONCE_AES_GCM_SEED);
    assert.deepEqual(o.annotations['key-id.kms.example.io'], Buffer.from('k1'));
    // info (32) + nonce (12) + data + tag (16)
    assert.equal(o.encryptedData.length, 32 + 12 + DATA.length + 16);
    assert.equal(p.prepare(sealed), undefined, 'its own seed needs no plugin call');
    assert.deepEqual(p.open(sealed, AAD), { data: DATA, stale: false });
    assert.throws(() => p.open(sealed, Buffer.from('/registry/core/secrets/ns/other')), /cipher: message authentication failed/);
    assert.equal(plugin.calls.encrypt, 1);
    p.close();
  });

  test('another server reads through one plugin Decrypt per seed', async () => {
    const plugin = fakePlugin();
    const clock = { t: 1_000_000 };
    const writer = provider(plugin, clock);
    const reader = provider(plugin, clock);
    await writer.start();
    await reader.start();
    const a = writer.seal(DATA, AAD);
    const b = writer.seal(DATA, AAD);
    assert.throws(() => reader.open(a, AAD), /failed to decrypt DEK/);
    await Promise.all([reader.prepare(a), reader.prepare(b)]);
    assert.equal(plugin.calls.decrypt, 1);
    assert.deepEqual(reader.open(b, AAD).data, DATA);
    writer.close();
    reader.close();
  });

  test('a new key ID makes a new seed; values of the old one read as stale', async () => {
    const plugin = fakePlugin();
    const clock = { t: 1_000_000 };
    const p = provider(plugin, clock);
    await p.start();
    const old = p.seal(DATA, AAD);
    plugin.rotate('k2');
    clock.t += 60_000; // past the health answer's 20 s
    await p.check();
    const fresh = p.seal(DATA, AAD);
    assert.equal(messages.EncryptedObject.decode(fresh).keyID, 'k2');
    assert.equal(plugin.calls.encrypt, 2);
    assert.deepEqual(p.open(old, AAD), { data: DATA, stale: true });
    assert.deepEqual(p.open(fresh, AAD), { data: DATA, stale: false });
    p.close();
  });

  test('fails closed: no state before a good Status; writes stop 3 minutes after the plugin went away', async () => {
    const plugin = fakePlugin();
    plugin.down = true;
    const clock = { t: 1_000_000 };
    const p = provider(plugin, clock);
    await p.start();
    assert.throws(() => p.seal(DATA, AAD), /^Error: got unexpected nil transformer$/);
    await assert.rejects(p.check(), /failed to perform status section of the healthz check for KMS Provider vault, error: rpc error: code = Unavailable/);
    plugin.down = false;
    clock.t += 5_000; // past the negative answer's 3 s
    await p.check();
    const sealed = p.seal(DATA, AAD);
    plugin.down = true;
    clock.t += 60_000;
    await assert.rejects(p.check(), /Unavailable/);
    p.seal(DATA, AAD); // coasting on the last seed
    clock.t += 3 * 60_000;
    assert.throws(() => p.seal(DATA, AAD), /^Error: encryptedDEKSource with keyID hash "sha256:[0-9a-f]{64}" expired at \S+Z \(current time is \S+Z\)$/);
    assert.deepEqual(p.open(sealed, AAD).data, DATA, 'reads of a known seed go on');
    p.close();
  });

  test('an unhealthy Status is reported with upstream words', async () => {
    const plugin = fakePlugin();
    const clock = { t: 1_000_000 };
    const service: KmsService = { ...plugin.service, status: async () => ({ version: 'v1', healthz: 'broken', key_id: '' }) };
    const p = new KmsV2Provider({ name: 'vault', service, now: () => clock.t, positiveIntervalMs: 1e9, negativeIntervalMs: 1e9 });
    await assert.rejects(p.check(), (e: Error) => {
      assert.equal(e.message, 'kmsv2 Provider vault is not healthy, error: [got unexpected healthz status: broken, expected KMSv2 API version v2, got v1, got invalid KMSv2 KeyID hash "": keyID is empty]');
      return true;
    });
    p.close();
  });
});
