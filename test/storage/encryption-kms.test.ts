/**
 * KMS v2 encryption at rest through a real gRPC plugin on a unix socket (test/helpers/kms-plugin.ts),
 * on SQLite and on Debian's etcd: the raw store holds only `k8s:enc:kms:v2:<name>:` envelopes,
 * never the data; another server reads them through the plugin; a key ID change gives new writes
 * the new key; a plugin that goes away fails the health check, and writes once the state expires
 * (fail closed), until it is back. The clock of the providers is a test clock (no waiting).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEncryptionConfig } from '../../src/storage/encryption/config.ts';
import { encryptingStore } from '../../src/storage/encryption/encrypting-store.ts';
import { messages } from '../../src/storage/encryption/kms/kms-v2-api.ts';
import { openEncryption, type OpenedEncryption } from '../../src/storage/encryption/kms/open-encryption.ts';
import { openSqliteStore } from '../../src/storage/sqlite.ts';
import { StorageError, type Store, type WatchEvent } from '../../src/storage/types.ts';
import { etcdSkip } from '../helpers/etcd.ts';
import { openEtcdFixture } from '../helpers/etcd-store.ts';
import { startKmsPlugin, type TestKmsPlugin } from '../helpers/kms-plugin.ts';

const PREFIX = 'k8s:enc:kms:v2:vault:';
const PASSWORD = Buffer.from('kms-topsecret').toString('base64');
const secret = (name: string) => ({ metadata: { name, namespace: 'default' }, data: { password: PASSWORD } });
const key = (name: string) => `/registry/core/secrets/default/${name}`;
/** Where the backend keeps a key: SQLite as it is, etcd in kube-apiserver's layout. */
let rawKey = (k: string) => k;

interface Backend {
  inner: Store;
  /** Every value as the store holds it (JSON text). */
  raw(): Promise<Record<string, string>>;
  close(): Promise<void>;
}

function runKmsSuite(name: string, skip: string | false, open: (dir: string) => Promise<Backend>) {
  describe(`KMS v2 encryption at rest on ${name}`, { skip }, () => {
    let dir: string;
    let plugin: TestKmsPlugin;
    let backend: Backend;
    const clock = { t: Date.now() };
    const opened: OpenedEncryption[] = [];
    const config = () =>
      parseEncryptionConfig({
        apiVersion: 'apiserver.config.k8s.io/v1',
        kind: 'EncryptionConfiguration',
        resources: [{ resources: ['secrets'], providers: [{ kms: { apiVersion: 'v2', name: 'vault', endpoint: plugin.endpoint, timeout: '2s' } }, { identity: {} }] }],
      });
    const server = async () => {
      const enc = await openEncryption(config(), { provider: { now: () => clock.t, positiveIntervalMs: 1e9, negativeIntervalMs: 1e9 } });
      opened.push(enc);
      return { enc, store: encryptingStore(backend.inner, enc.transformers) };
    };

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'portcullis-kms-'));
      plugin = await startKmsPlugin(join(dir, 'kms.sock'));
      backend = await open(dir);
    });
    after(async () => {
      for (const e of opened) e.close();
      await backend?.close();
      await plugin?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    test('the store holds the envelope, never the data; reads, lists and watches give the object', async () => {
      const { store, enc } = await server();
      await enc.healthCheck!.check();
      const events: WatchEvent[] = [];
      const w = store.watch('/registry/core/secrets/', store.currentRevision(), { onEvent: (e) => events.push(e) });
      await store.create(key('a'), secret('a'));
      const raw = await backend.raw();
      const stored = JSON.parse(raw[rawKey(key('a'))]!) as string;
      assert.ok(stored.startsWith(PREFIX), stored.slice(0, 40));
      const object = messages.EncryptedObject.decode(Buffer.from(stored.slice(PREFIX.length), 'base64'));
      assert.equal(object.keyID, 'key-1');
      assert.equal(object.encryptedDEKSourceType, 1);
      assert.deepEqual(object.annotations['kek.kms.portcullis.test'], Buffer.from('key-1'));
      assert.ok(!Object.values(raw).some((v) => v.includes(PASSWORD) || v.includes('kms-topsecret')), 'no plaintext in the store');
      assert.deepEqual((await store.get(key('a')))?.value, secret('a'));
      assert.deepEqual((await store.list('/registry/core/secrets/')).items.map((i) => i.value), [secret('a')]);
      while (events.length < 1) await new Promise((r) => setImmediate(r));
      w.close();
      assert.deepEqual(events[0]?.value, secret('a'));
    });

    test('another server reads through the plugin (one Decrypt for the seed), also in a watch from the past', async () => {
      const { store } = await server();
      const decrypts = plugin.calls.decrypt;
      const events: WatchEvent[] = [];
      const w = store.watch('/registry/core/secrets/', 0, { onEvent: (e) => events.push(e) });
      assert.deepEqual((await store.get(key('a')))?.value, secret('a'));
      assert.deepEqual((await store.list('/registry/core/secrets/')).items.map((i) => i.value), [secret('a')]);
      while (events.length < 1) await new Promise((r) => setTimeout(r, 5));
      w.close();
      assert.deepEqual(events[0]?.value, secret('a'));
      assert.equal(plugin.calls.decrypt, decrypts + 1);
    });

    test('a new key ID at the plugin: new writes use it, older values still read', async () => {
      const { store, enc } = await server();
      plugin.rotate('key-2');
      clock.t += 60_000;
      await enc.healthCheck!.check();
      await store.create(key('b'), secret('b'));
      const stored = JSON.parse((await backend.raw())[rawKey(key('b'))]!) as string;
      assert.equal(messages.EncryptedObject.decode(Buffer.from(stored.slice(PREFIX.length), 'base64')).keyID, 'key-2');
      assert.deepEqual((await store.get(key('a')))?.value, secret('a'));
    });

    test('plugin down: the health check fails at once, writes once the seed expires; back up, writes resume', async () => {
      const { store, enc } = await server();
      await plugin.stop();
      clock.t += 60_000;
      await assert.rejects(enc.healthCheck!.check(), /kms-provider-0: failed to perform status section of the healthz check for KMS Provider vault, error: rpc error: code = Unavailable/);
      await store.create(key('c'), secret('c')); // coasting within 3 minutes
      clock.t += 3 * 60_000;
      await assert.rejects(store.create(key('d'), secret('d')), (e: Error) => e instanceof StorageError && e.code === 'Internal' && /expired at/.test(e.message));
      assert.equal((await backend.raw())[rawKey(key('d'))], undefined, 'nothing written, not even in plaintext');
      await plugin.start();
      // gRPC reconnects with a backoff: the check passes once it has (each try past the 3 s answer).
      for (let tries = 0; ; tries++) {
        clock.t += 5_000;
        try {
          await enc.healthCheck!.check();
          break;
        } catch (err) {
          if (tries > 100) throw err;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      await store.create(key('d'), secret('d'));
      assert.deepEqual((await store.get(key('d')))?.value, secret('d'));
    });
  });
}

runKmsSuite('SQLite', false, async (dir) => {
  const inner = openSqliteStore({ path: join(dir, 'state.db') });
  return {
    inner,
    raw: async () => Object.fromEntries((await inner.list('/registry/')).items.map((i) => [i.key, JSON.stringify(i.value)])),
    close: () => inner.close(),
  };
});

runKmsSuite('etcd', etcdSkip(), async () => {
  rawKey = (k) => k.replace('/registry/core/', '/registry/');
  const etcd = await openEtcdFixture('/registry');
  return { inner: etcd.store, raw: () => etcd.raw.getAll().prefix('/registry/').strings(), close: () => etcd.close() };
});
