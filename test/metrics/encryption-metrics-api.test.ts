/**
 * Encryption at rest's metrics on a real API server's /metrics, read with the real parser: Secrets
 * through a KMS v2 plugin (gRPC on a unix socket), ConfigMaps through aesgcm. After a restart the
 * stored seed is decrypted by the plugin: a cache miss and a Decrypt call.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startControlPlane, type ControlPlane } from '../../src/server/control-plane.ts';
import { parseEncryptionConfig } from '../../src/storage/encryption/config.ts';
import { apiServerId } from '../../src/server/apiserver-id.ts';
import { TestClient } from '../helpers/client.ts';
import { startKmsPlugin, type TestKmsPlugin } from '../helpers/kms-plugin.ts';
import { parseMetrics, samples, total } from './prom-text.ts';

const sha = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;

describe('encryption metrics on /metrics', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-enc-metrics-api-'));
  const socket = join(dir, 'kms.sock');
  let plugin: TestKmsPlugin | undefined;
  let cp: ControlPlane | undefined;
  let admin: TestClient | undefined;
  const encryption = parseEncryptionConfig({
    apiVersion: 'apiserver.config.k8s.io/v1',
    kind: 'EncryptionConfiguration',
    resources: [
      { resources: ['secrets'], providers: [{ kms: { apiVersion: 'v2', name: 'vault', endpoint: `unix://${socket}`, timeout: '2s' } }] },
      { resources: ['configmaps'], providers: [{ aesgcm: { keys: [{ name: 'k1', secret: Buffer.alloc(32, 7).toString('base64') }] } }, { identity: {} }] },
    ],
  });
  const start = async () => {
    cp = await startControlPlane({ dataDir: join(dir, 'data'), port: 0, bindAddress: '127.0.0.1', logger: pino({ level: 'silent' }), durability: 'normal', controllers: [], scheduler: false, leaderElect: false, encryption });
    admin = new TestClient(cp.url, { caPem: cp.pki.caCertPem, certPem: cp.pki.adminCertPem, keyPem: cp.pki.adminKeyPem });
  };
  const stop = async () => {
    admin?.close();
    await cp?.close();
    cp = undefined;
  };
  const scrape = async () => {
    const res = await admin!.get('/metrics');
    assert.equal(res.status, 200);
    return parseMetrics(res.text);
  };
  after(async () => {
    await stop();
    await plugin?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('writes and reads are counted by prefix; KMS calls, key IDs and the seed cache are reported', async () => {
    plugin = await startKmsPlugin(socket, 'key-1');
    await start();
    assert.equal((await admin!.post('/api/v1/namespaces/default/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { p: 'x' } })).status, 201);
    assert.equal((await admin!.post('/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } })).status, 201);
    let m = await scrape();
    const ok = (type: string, prefix: string) => total(m, 'apiserver_storage_transformation_operations_total', { transformation_type: type, transformer_prefix: prefix, status: 'OK' });
    assert.ok(ok('to_storage', 'k8s:enc:kms:v2:vault:') >= 1);
    assert.ok(ok('to_storage', 'k8s:enc:aesgcm:v1:') >= 1);
    // aesgcm's keys are prefix transformers of their own inside the provider's, as upstream nests them.
    assert.ok(ok('to_storage', 'k1:') >= 1);
    assert.ok(ok('from_storage', 'k8s:enc:kms:v2:vault:') >= 1, 'the watch event of the write is read back');
    assert.ok(total(m, 'apiserver_storage_transformation_duration_seconds_count', { transformation_type: 'to_storage', transformer_prefix: 'k8s:enc:kms:v2:vault:' }) >= 1);
    const ids = { provider_name: 'vault', key_id_hash: sha('key-1'), apiserver_id_hash: sha(apiServerId(hostname())) };
    assert.ok(total(m, 'apiserver_envelope_encryption_key_id_hash_total', { ...ids, transformation_type: 'to_storage' }) >= 1);
    assert.equal(samples(m, 'apiserver_envelope_encryption_key_id_hash_status_last_timestamp_seconds', ids).length, 1);
    assert.ok(total(m, 'apiserver_envelope_encryption_kms_operations_latency_seconds_count', { provider_name: 'vault', method_name: '/v2.KeyManagementService/Status', grpc_status_code: 'OK' }) >= 1);
    assert.equal(total(m, 'apiserver_envelope_encryption_kms_operations_latency_seconds_count', { method_name: '/v2.KeyManagementService/Encrypt', grpc_status_code: 'OK' }), 1);
    assert.equal(total(m, 'apiserver_envelope_encryption_dek_source_cache_size', { provider_name: 'vault' }), 1);
    assert.equal(total(m, 'apiserver_storage_data_key_generation_duration_seconds_count'), 1);
    assert.equal(total(m, 'apiserver_storage_envelope_transformation_cache_misses_total'), 0);
    assert.equal(m.families.get('apiserver_storage_transformation_operations_total')?.type, 'COUNTER');

    // A new server has a new seed; the stored one is decrypted by the plugin on the first read.
    await stop();
    await start();
    assert.equal((await admin!.get('/api/v1/namespaces/default/secrets/s')).status, 200);
    m = await scrape();
    assert.equal(total(m, 'apiserver_storage_envelope_transformation_cache_misses_total'), 1);
    assert.equal(total(m, 'apiserver_envelope_encryption_kms_operations_latency_seconds_count', { method_name: '/v2.KeyManagementService/Decrypt', grpc_status_code: 'OK' }), 1);
    assert.equal(total(m, 'apiserver_envelope_encryption_dek_source_cache_size', { provider_name: 'vault' }), 2);
    assert.ok(total(m, 'apiserver_envelope_encryption_key_id_hash_total', { ...ids, transformation_type: 'from_storage' }) >= 1);
  });
});
