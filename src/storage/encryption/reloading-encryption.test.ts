import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NO_RECORDER, type EncryptionRecorder } from './encryption-recorder.ts';
import { openReloadingEncryption } from './reloading-encryption.ts';
import type { KmsService } from './kms/kms-v2-client.ts';

const KEY_A = Buffer.alloc(32, 1).toString('base64');
const KEY_B = Buffer.alloc(32, 2).toString('base64');
const SECRETS = { group: '', resource: 'secrets' };
const KEY = '/registry/core/secrets/ns/s';

const aesgcm = (name: string, secret: string) => `      - aesgcm:\n          keys:\n            - name: ${name}\n              secret: ${secret}\n`;
const secretbox = (name: string, secret: string) => `      - secretbox:\n          keys:\n            - name: ${name}\n              secret: ${secret}\n`;
const kms = (socket: string) => `      - kms:\n          apiVersion: v2\n          name: vault\n          endpoint: unix://${socket}\n          timeout: 100ms\n`;
const file = (...providers: string[]) => `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n${providers.join('')}`;

function recording() {
  const seen = { success: 0, failure: 0, hashes: [] as string[] };
  const recorder: EncryptionRecorder = {
    ...NO_RECORDER,
    reload: (o) => void seen[o]++,
    configInForce: (h) => void seen.hashes.push(h),
  };
  return { seen, recorder };
}

const prefixOf = (stored: unknown) => String(stored).split(':').slice(0, 5).join(':');

describe('automatic reload of the encryption configuration', () => {
  test('a changed file takes over for writes, old values still read; an invalid one leaves the old in force', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-reload-'));
    const path = join(dir, 'enc.yaml');
    const errors: string[] = [];
    const { seen, recorder } = recording();
    writeFileSync(path, file(aesgcm('a', KEY_A)));
    const enc = await openReloadingEncryption({ path, recorder, watchDir: false, pollMs: 1e9, log: { info() {}, error: (m) => errors.push(m) } });
    try {
      const old = enc.transformers.forResource(SECRETS).toStorage({ v: 'old' }, KEY);
      assert.equal(prefixOf(old), 'k8s:enc:aesgcm:v1:a');
      assert.equal(seen.hashes.length, 1);
      assert.match(seen.hashes[0]!, /^k8s:enc:unstable:1:[0-9a-f]{64}$/);

      // Unchanged: nothing happens, nothing is counted.
      await enc.reloadNow();
      assert.deepEqual([seen.success, seen.failure], [0, 0]);

      writeFileSync(path, file(secretbox('b', KEY_B), aesgcm('a', KEY_A)));
      await enc.reloadNow();
      assert.deepEqual([seen.success, seen.failure], [1, 0]);
      const t = enc.transformers.forResource(SECRETS);
      assert.equal(prefixOf(t.toStorage({ v: 'new' }, KEY)), 'k8s:enc:secretbox:v1:b');
      assert.deepEqual(t.fromStorage(old, KEY), { value: { v: 'old' }, stale: true });
      assert.equal(seen.hashes.length, 2);
      assert.notEqual(seen.hashes[1], seen.hashes[0]);

      // Invalid (a 16-byte secretbox key): refused, logged with upstream's words, and the old configuration stays.
      writeFileSync(path, file(secretbox('c', Buffer.alloc(16).toString('base64'))));
      await enc.reloadNow();
      assert.equal(seen.success, 1);
      assert.ok(seen.failure >= 1);
      assert.match(errors[0]!, new RegExp(`^error processing encryption config file ${path}: error while parsing file: resources\\[0\\]\\.providers\\[0\\]\\.secretbox\\.keys\\[0\\]\\.secret: Invalid value: "REDACTED": secret is not of the expected length`));
      assert.equal(prefixOf(enc.transformers.forResource(SECRETS).toStorage({ v: 'x' }, KEY)), 'k8s:enc:secretbox:v1:b');
      assert.equal(seen.hashes.length, 2);

      // Not even YAML, and an empty file: the same.
      writeFileSync(path, ': : :\n\t-');
      await enc.reloadNow();
      writeFileSync(path, '');
      await enc.reloadNow();
      assert.ok(errors.some((e) => /is empty$/.test(e)));
      assert.equal(prefixOf(enc.transformers.forResource(SECRETS).toStorage({ v: 'x' }, KEY)), 'k8s:enc:secretbox:v1:b');
      assert.equal(seen.success, 1);
    } finally {
      enc.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a new KMS plugin that is not healthy is refused; the health check follows the configuration in force', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-reload-'));
    const path = join(dir, 'enc.yaml');
    const errors: string[] = [];
    const { seen, recorder } = recording();
    writeFileSync(path, file(aesgcm('a', KEY_A)));
    const enc = await openReloadingEncryption({ path, recorder, watchDir: false, pollMs: 1e9, minHealthWaitMs: 300, log: { info() {}, error: (m) => errors.push(m) } });
    try {
      // Always there with reload on, a no-op without KMS (upstream's kms-providers).
      assert.equal(enc.healthCheck.name, 'kms-providers');
      await enc.healthCheck.check();
      writeFileSync(path, file(kms(join(dir, 'absent.sock')), aesgcm('a', KEY_A)));
      await enc.reloadNow();
      assert.equal(seen.success, 0);
      assert.match(errors[0]!, /health check for new transformers failed, polling error context deadline exceeded: kms-provider-0: failed to perform status section of the healthz check for KMS Provider vault, error: rpc error: code = (Unavailable|DeadlineExceeded)/);
      assert.equal(prefixOf(enc.transformers.forResource(SECRETS).toStorage({ v: 'x' }, KEY)), 'k8s:enc:aesgcm:v1:a');
      await enc.healthCheck.check();
    } finally {
      enc.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('KMS providers: an unchanged one is kept, a dropped one is closed, and kms-providers follows the configuration in force', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-reload-'));
    const path = join(dir, 'enc.yaml');
    const { seen, recorder } = recording();
    const plugin = { down: false, statusCalls: 0, encryptCalls: 0, closed: 0 };
    const service: KmsService = {
      async status() {
        plugin.statusCalls++;
        if (plugin.down) throw new Error('rpc error: code = Unavailable desc = gone');
        return { version: 'v2', healthz: 'ok', key_id: 'key-1' };
      },
      async encrypt(_uid, plaintext) {
        plugin.encryptCalls++;
        return { ciphertext: Buffer.from(plaintext), key_id: 'key-1', annotations: {} };
      },
      decrypt: async (_uid, req) => Buffer.from(req.ciphertext),
      close: () => void plugin.closed++,
    };
    // Health answers are cached (20 s good, 3 s bad), as upstream: the clock moves past them.
    const clock = { t: 1_000_000 };
    writeFileSync(path, file(kms(join(dir, 'vault.sock')), aesgcm('a', KEY_A)));
    const enc = await openReloadingEncryption({ path, recorder, watchDir: false, pollMs: 1e9, connect: () => service, provider: { now: () => clock.t, positiveIntervalMs: 1e9, negativeIntervalMs: 1e9 } });
    try {
      const vault = enc.providers.get('vault')!.provider;
      // The same provider settings, another key list: the provider (and its seed) is kept.
      writeFileSync(path, file(kms(join(dir, 'vault.sock')), aesgcm('a', KEY_A), secretbox('b', KEY_B)));
      await enc.reloadNow();
      assert.equal(seen.success, 1);
      assert.equal(enc.providers.get('vault')!.provider, vault);
      assert.equal(plugin.encryptCalls, 1);
      plugin.down = true;
      clock.t += 60_000;
      await assert.rejects(enc.healthCheck.check(), /kms-provider-0: failed to perform status section of the healthz check for KMS Provider vault/);
      // Without KMS the check is a no-op, whatever the old plugin does; the dropped provider closes after 2 x its timeout.
      writeFileSync(path, file(aesgcm('a', KEY_A)));
      await enc.reloadNow();
      assert.equal(seen.success, 2);
      await enc.healthCheck.check();
      assert.equal(plugin.closed, 0);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(plugin.closed, 1);
    } finally {
      enc.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the file's directory is watched: a change is picked up without waiting for the poll", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-reload-'));
    const path = join(dir, 'enc.yaml');
    const { seen, recorder } = recording();
    writeFileSync(path, file(aesgcm('a', KEY_A)));
    const enc = await openReloadingEncryption({ path, recorder, pollMs: 1e9 });
    try {
      writeFileSync(path, file(secretbox('b', KEY_B), aesgcm('a', KEY_A)));
      for (let i = 0; i < 200 && seen.success === 0; i++) await new Promise((r) => setTimeout(r, 25));
      assert.equal(seen.success, 1);
      assert.equal(prefixOf(enc.transformers.forResource(SECRETS).toStorage({ v: 'x' }, KEY)), 'k8s:enc:secretbox:v1:b');
    } finally {
      enc.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
