import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { parseMetrics, samples, total } from '../../test/metrics/prom-text.ts';
import { EncryptionMetrics } from './encryption-metrics.ts';
import { apiServerId } from '../server/apiserver-id.ts';
import { parseEncryptionConfig } from '../storage/encryption/config.ts';
import { openEncryption } from '../storage/encryption/kms/open-encryption.ts';
import type { KmsService } from '../storage/encryption/kms/kms-v2-client.ts';

const sha = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;

async function scrape(m: EncryptionMetrics) {
  const r = new Registry();
  m.register(r);
  return parseMetrics(await r.metrics());
}

const kmsConfig = (endpoint: string) =>
  parseEncryptionConfig({
    apiVersion: 'apiserver.config.k8s.io/v1',
    kind: 'EncryptionConfiguration',
    resources: [{ resources: ['secrets'], providers: [{ kms: { apiVersion: 'v2', name: 'vault', endpoint, timeout: '1s' } }] }],
  });

describe('encryption metrics', () => {
  test("the API server's identity is upstream's (sha256 of the length-prefixed hostname and kube-apiserver, base32)", () => {
    // Computed independently (Python: hashlib + base64.b32encode) for hostname "node-1".
    assert.equal(apiServerId('node-1'), 'apiserver-lgabes5ywnaqeagh5dny4zlzs4');
  });

  test('a plugin that is not there: Status latency under Unavailable, and a write refused as unknown-non-grpc', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-enc-metrics-'));
    const m = new EncryptionMetrics(apiServerId('node-1'));
    const enc = await openEncryption(kmsConfig(`unix://${join(dir, 'none.sock')}`), { recorder: m, provider: { positiveIntervalMs: 1e9, negativeIntervalMs: 1e9 } });
    try {
      const t = enc.transformers.forResource({ group: '', resource: 'secrets' });
      assert.throws(() => t.toStorage({ a: 1 }, '/registry/core/secrets/ns/s'), /got unexpected nil transformer/);
      const s = await scrape(m);
      assert.equal(s.families.get('apiserver_envelope_encryption_kms_operations_latency_seconds')?.type, 'HISTOGRAM');
      assert.equal(total(s, 'apiserver_envelope_encryption_kms_operations_latency_seconds_count', { provider_name: 'vault', method_name: '/v2.KeyManagementService/Status', grpc_status_code: 'Unavailable' }), 1);
      assert.equal(total(s, 'apiserver_storage_transformation_operations_total', { transformation_type: 'to_storage', transformer_prefix: 'k8s:enc:kms:v2:vault:', status: 'unknown-non-grpc' }), 1);
      // Only successes are timed (RecordTransformation).
      assert.equal(total(s, 'apiserver_storage_transformation_duration_seconds_count'), 0);
    } finally {
      enc.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an empty key ID from Status is counted as invalid ("empty"); a good one is timestamped by its hash', async () => {
    let keyId = '';
    const service: KmsService = {
      status: async () => ({ version: 'v2', healthz: 'ok', key_id: keyId }),
      encrypt: async (_uid, plaintext) => ({ ciphertext: Buffer.from(plaintext), key_id: keyId, annotations: {} }),
      decrypt: async (_uid, req) => Buffer.from(req.ciphertext),
      close() {},
    };
    const m = new EncryptionMetrics(apiServerId('node-1'), () => 1_700_000_000_000);
    const enc = await openEncryption(kmsConfig('unix:///unused.sock'), { recorder: m, connect: () => service, provider: { positiveIntervalMs: 1e9, negativeIntervalMs: 1e9 } });
    try {
      let s = await scrape(m);
      assert.equal(total(s, 'apiserver_envelope_encryption_invalid_key_id_from_status_total', { provider_name: 'vault', error: 'empty' }), 1);
      keyId = 'key-2';
      const enc2 = await openEncryption(kmsConfig('unix:///unused.sock'), { recorder: m, connect: () => service, provider: { positiveIntervalMs: 1e9, negativeIntervalMs: 1e9 } });
      const t = enc2.transformers.forResource({ group: '', resource: 'secrets' });
      const stored = t.toStorage({ a: 1 }, '/registry/core/secrets/ns/s');
      assert.deepEqual(t.fromStorage(stored, '/registry/core/secrets/ns/s').value, { a: 1 });
      enc2.close();
      s = await scrape(m);
      const labels = { provider_name: 'vault', key_id_hash: sha('key-2'), apiserver_id_hash: sha(apiServerId('node-1')) };
      assert.deepEqual(samples(s, 'apiserver_envelope_encryption_key_id_hash_status_last_timestamp_seconds', labels).map((x) => Number(x.value)), [1_700_000_000]);
      assert.equal(total(s, 'apiserver_envelope_encryption_key_id_hash_total', { ...labels, transformation_type: 'to_storage' }), 1);
      assert.equal(total(s, 'apiserver_envelope_encryption_key_id_hash_total', { ...labels, transformation_type: 'from_storage' }), 1);
      assert.equal(total(s, 'apiserver_envelope_encryption_kms_operations_latency_seconds_count', { method_name: '/v2.KeyManagementService/Encrypt', grpc_status_code: 'OK' }), 1);
      assert.equal(total(s, 'apiserver_storage_data_key_generation_duration_seconds_count'), 1);
      assert.equal(total(s, 'apiserver_envelope_encryption_dek_source_cache_size', { provider_name: 'vault' }), 1);
    } finally {
      enc.close();
    }
  });

  test('key ID label sets are bounded: past 100 the least recently used series go', async () => {
    const m = new EncryptionMetrics('');
    for (let i = 0; i < 150; i++) m.keyIdUsed('from_storage', 'vault', `key-${i}`);
    const s = await scrape(m);
    const series = samples(s, 'apiserver_envelope_encryption_key_id_hash_total');
    assert.equal(series.length, 100);
    assert.ok(series.some((x) => x.labels?.key_id_hash === sha('key-149')));
    assert.ok(!series.some((x) => x.labels?.key_id_hash === sha('key-0')));
    assert.equal(samples(s, 'apiserver_envelope_encryption_key_id_hash_last_timestamp_seconds').length, 100);
    // An empty identity hashes to the empty label, as upstream's getHash.
    assert.equal(series[0]!.labels?.apiserver_id_hash, '');
  });

  test("upstream's buckets", async () => {
    const m = new EncryptionMetrics('x');
    m.transformation('to_storage', 'k8s:enc:aesgcm:v1:', 0.001, undefined);
    m.kmsOperation('vault', '/v2.KeyManagementService/Status', 0.01, undefined);
    m.dataKeyGeneration(0.00001, undefined);
    const s = await scrape(m);
    const les = (name: string) => samples(s, name).map((x) => x.labels?.le);
    assert.deepEqual(les('apiserver_storage_transformation_duration_seconds_bucket').slice(0, 3).map(Number), [5e-6, 1e-5, 2e-5]);
    assert.equal(les('apiserver_storage_transformation_duration_seconds_bucket').length, 26);
    assert.deepEqual(les('apiserver_envelope_encryption_kms_operations_latency_seconds_bucket').slice(0, 2).map(Number), [0.0001, 0.0002]);
    assert.equal(les('apiserver_envelope_encryption_kms_operations_latency_seconds_bucket').length, 21);
    assert.equal(les('apiserver_storage_data_key_generation_duration_seconds_bucket').length, 15);
    assert.equal(total(s, 'apiserver_envelope_encryption_dek_cache_fill_percent'), 0);
    assert.ok(s.families.has('apiserver_envelope_encryption_dek_cache_fill_percent'));
  });
});
