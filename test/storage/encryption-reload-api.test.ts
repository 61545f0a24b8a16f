/**
 * --encryption-provider-config-automatic-reload through a real API server (SQLite) and a real KMS
 * v2 plugin: the file changes from aesgcm to KMS-first, and later Secrets are stored under the
 * plugin while earlier ones stay aesgcm and readable; an invalid file afterwards changes nothing
 * (writes stay on the plugin), and is counted on /metrics as upstream's
 * apiserver_encryption_config_controller_automatic_reloads_total{status="failure"}.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startControlPlane, type ControlPlane } from '../../src/server/control-plane.ts';
import { openSqliteStore } from '../../src/storage/sqlite.ts';
import { TestClient } from '../helpers/client.ts';
import { startKmsPlugin, type TestKmsPlugin } from '../helpers/kms-plugin.ts';
import { parseMetrics, samples, total } from '../metrics/prom-text.ts';

const SECRETS = '/api/v1/namespaces/default/secrets';
const secret = (name: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData: { password: `pw-${name}` } });
const KEY = Buffer.alloc(32, 9).toString('base64');

describe('encryption config automatic reload through the API server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-enc-reload-'));
  const dataDir = join(dir, 'data');
  const confDir = join(dir, 'conf');
  mkdirSync(confDir);
  const path = join(confDir, 'encryption.yaml');
  const socket = join(dir, 'kms.sock');
  const aesgcm = `      - aesgcm:\n          keys:\n            - name: k1\n              secret: ${KEY}\n`;
  const kms = `      - kms:\n          apiVersion: v2\n          name: vault\n          endpoint: unix://${socket}\n          timeout: 2s\n`;
  const config = (...providers: string[]) => `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n${providers.join('')}`;
  let plugin: TestKmsPlugin | undefined;
  let cp: ControlPlane | undefined;
  let admin: TestClient | undefined;
  const start = async () => {
    cp = await startControlPlane({ dataDir, port: 0, bindAddress: '127.0.0.1', logger: pino({ level: 'silent' }), durability: 'normal', controllers: [], scheduler: false, leaderElect: false, encryptionReload: { path, pollMs: 200 } });
    admin = new TestClient(cp.url, { caPem: cp.pki.caCertPem, certPem: cp.pki.adminCertPem, keyPem: cp.pki.adminKeyPem });
  };
  const stop = async () => {
    admin?.close();
    await cp?.close();
    cp = undefined;
  };
  const metrics = async () => parseMetrics((await admin!.get('/metrics')).text);
  const until = async (what: string, done: (m: Awaited<ReturnType<typeof metrics>>) => boolean) => {
    for (let i = 0; i < 100; i++) {
      if (done(await metrics())) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`timed out waiting for ${what}`);
  };
  const reloads = (m: Awaited<ReturnType<typeof metrics>>, status: string) => total(m, 'apiserver_encryption_config_controller_automatic_reloads_total', { status });
  const hashOf = (text: string) => `k8s:enc:unstable:1:${createHash('sha256').update(text).digest('hex')}`;
  after(async () => {
    await stop();
    await plugin?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a new provider takes over writes, old data stays readable, an invalid file changes nothing', async () => {
    plugin = await startKmsPlugin(socket);
    writeFileSync(path, config(aesgcm));
    await start();
    assert.equal((await admin!.post(SECRETS, secret('s1'))).status, 201);
    // With reload on, kms-providers is always there (a no-op without KMS), as upstream.
    assert.match((await admin!.get('/readyz?verbose')).text, /\[\+\]kms-providers ok/);
    assert.equal(samples(await metrics(), 'apiserver_encryption_config_controller_last_config_info', { hash: hashOf(config(aesgcm)) }).length, 1);

    const kmsFirst = config(kms, aesgcm);
    writeFileSync(path, kmsFirst);
    await until('the reload', (m) => reloads(m, 'success') === 1);
    assert.equal(plugin.calls.encrypt, 1, 'the new provider made its seed');
    assert.equal((await admin!.post(SECRETS, secret('s2'))).status, 201);
    assert.equal((await admin!.get('/healthz/kms-providers')).status, 200);
    assert.equal(samples(await metrics(), 'apiserver_encryption_config_controller_last_config_info', { hash: hashOf(kmsFirst) }).length, 1);

    writeFileSync(path, config(kms, aesgcm).replace('kind: EncryptionConfiguration', 'kind: Nonsense'));
    await until('the failure', (m) => reloads(m, 'failure') >= 1);
    assert.equal((await admin!.post(SECRETS, secret('s3'))).status, 201);
    const m = await metrics();
    assert.equal(reloads(m, 'success'), 1);
    assert.equal(samples(m, 'apiserver_encryption_config_controller_last_config_info', { hash: hashOf(kmsFirst) }).length, 1, 'the configuration in force is still the KMS one');
    assert.equal(samples(m, 'apiserver_encryption_config_controller_automatic_reload_last_timestamp_seconds', { status: 'failure' }).length, 1);
    for (const name of ['s1', 's2', 's3']) {
      const got = await admin!.get(`${SECRETS}/${name}`);
      assert.equal(Buffer.from(got.body.data.password, 'base64').toString(), `pw-${name}`);
    }
    await stop();

    const raw = openSqliteStore({ path: join(dataDir, 'state.db') });
    try {
      const stored = async (name: string) => String((await raw.get(`/registry/core/secrets/default/${name}`))?.value);
      assert.match(await stored('s1'), /^k8s:enc:aesgcm:v1:k1:/);
      assert.match(await stored('s2'), /^k8s:enc:kms:v2:vault:/);
      assert.match(await stored('s3'), /^k8s:enc:kms:v2:vault:/, 'written after the invalid file: still the configuration in force');
    } finally {
      await raw.close();
    }

    // A fresh server on the reloaded file reads both from the store: the old aesgcm value through the second provider.
    writeFileSync(path, kmsFirst);
    await start();
    for (const name of ['s1', 's2', 's3']) {
      const got = await admin!.get(`${SECRETS}/${name}`);
      assert.equal(got.status, 200);
      assert.equal(Buffer.from(got.body.data.password, 'base64').toString(), `pw-${name}`);
    }
  });
});
