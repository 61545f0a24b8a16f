/**
 * KMS v2 through a real API server (SQLite) and a real gRPC plugin on a unix socket: Secrets
 * created through the API are stored as `k8s:enc:kms:v2:vault:` envelopes (no plaintext in the
 * database or its WAL); /readyz lists the kms-providers check. A server started while its plugin
 * is not up starts (as upstream) but fails closed: writes and reads of Secrets answer 500 with
 * upstream's "got unexpected nil transformer", /healthz/kms-providers fails; once the plugin is
 * up the server recovers by itself.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startControlPlane, type ControlPlane } from '../../src/server/control-plane.ts';
import { parseEncryptionConfig } from '../../src/storage/encryption/config.ts';
import { TestClient } from '../helpers/client.ts';
import { startKmsPlugin, type TestKmsPlugin } from '../helpers/kms-plugin.ts';

const SECRETS = '/api/v1/namespaces/default/secrets';
const secret = (name: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData: { password: `topsecret-${name}` } });
const MARK = Buffer.from('topsecret').toString('base64');

describe('KMS v2 through the API server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-kms-api-'));
  const dataDir = join(dir, 'data');
  const socket = join(dir, 'kms.sock');
  let plugin: TestKmsPlugin | undefined;
  let cp: ControlPlane | undefined;
  let admin: TestClient | undefined;
  const encryption = () =>
    parseEncryptionConfig({
      apiVersion: 'apiserver.config.k8s.io/v1',
      kind: 'EncryptionConfiguration',
      resources: [{ resources: ['secrets'], providers: [{ kms: { apiVersion: 'v2', name: 'vault', endpoint: `unix://${socket}`, timeout: '1s' } }] }],
    });
  async function start(): Promise<TestClient> {
    cp = await startControlPlane({ dataDir, port: 0, bindAddress: '127.0.0.1', logger: pino({ level: 'silent' }), durability: 'normal', controllers: [], scheduler: false, leaderElect: false, encryption: encryption() });
    admin = new TestClient(cp.url, { caPem: cp.pki.caCertPem, certPem: cp.pki.adminCertPem, keyPem: cp.pki.adminKeyPem });
    return admin;
  }
  async function stop(): Promise<void> {
    admin?.close();
    await cp?.close();
    cp = undefined;
  }
  after(async () => {
    await stop();
    await plugin?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('Secrets are stored as KMS v2 envelopes; readyz has the kms-providers check', async () => {
    plugin = await startKmsPlugin(socket);
    const c = await start();
    assert.equal((await c.post(SECRETS, secret('a'))).status, 201);
    const got = await c.get(`${SECRETS}/a`);
    assert.equal(Buffer.from(got.body.data.password, 'base64').toString(), 'topsecret-a');
    const ready = await c.get('/readyz?verbose');
    assert.match(ready.text, /\[\+\]etcd ok\n\[\+\]kms-providers ok\n\[\+\]shutdown ok/);
    assert.equal((await c.get('/healthz/kms-providers')).status, 200);
    await stop();
    const db = join(dataDir, 'state.db');
    const disk = [db, `${db}-wal`].filter(existsSync).map((f) => readFileSync(f).toString('latin1')).join('\n');
    assert.ok(disk.includes('k8s:enc:kms:v2:vault:'), 'the envelope is on disk');
    assert.ok(!disk.includes(MARK), 'no Secret data in plaintext on disk');
  });

  test('plugin not up at start: the server starts and fails closed, then recovers when the plugin comes', async () => {
    await plugin!.stop();
    const c = await start();
    const health = await c.get('/healthz/kms-providers');
    assert.equal(health.status, 500);
    const created = await c.post(SECRETS, secret('b'));
    assert.equal(created.status, 500, created.text);
    assert.equal(created.body.message, 'Internal error occurred: got unexpected nil transformer');
    const read = await c.get(`${SECRETS}/a`);
    assert.equal(read.status, 500, read.text);
    assert.match(read.body.message, /unable to transform key "\/registry\/core\/secrets\/default\/a": got unexpected nil transformer/);
    await plugin!.start();
    // The health check asks the plugin again once its failed answer is 3 s old.
    for (let tries = 0; (await c.get('/healthz/kms-providers')).status !== 200; tries++) {
      assert.ok(tries < 300, 'the server never saw the plugin come back');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal((await c.post(SECRETS, secret('b'))).status, 201);
    // What the cache took in unreadable is read again once the plugin answers (the cache relists).
    for (let tries = 0; ; tries++) {
      const again = await c.get(`${SECRETS}/a`);
      if (again.status === 200) break;
      assert.ok(tries < 100, again.text);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
});
