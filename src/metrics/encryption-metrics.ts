/**
 * Encryption at rest's metrics with upstream's names, help texts, labels and buckets:
 * - storage/value/metrics.go: apiserver_storage_transformation_operations_total and
 *   _duration_seconds, _envelope_transformation_cache_misses_total,
 *   _data_key_generation_duration_seconds and _failures_total;
 * - storage/value/encrypt/envelope/metrics/metrics.go: apiserver_envelope_encryption_* (key ID
 *   hashes used and from Status, each label set kept in an LRU of 100 as upstream, so a plugin
 *   that changes its key ID often cannot grow them; KMS call latencies; the DEK source cache size;
 *   the KMS v1 DEK cache gauges, which stay empty: KMS v1 is refused);
 * - server/options/encryptionconfig/metrics/metrics.go: apiserver_encryption_config_controller_*.
 * Made before the server (the store is opened first) and registered on its registry afterwards.
 * Every stored value is counted and timed, so those two are the request path's fast metrics.
 */
import { Counter, Gauge, Histogram, type Metric, type Registry } from 'prom-client';
import { FastCounter, FastHistogram } from './fast-metrics.ts';
import type { EncryptionRecorder, InvalidKeyIdCode, TransformationType } from '../storage/encryption/encryption-recorder.ts';
import { grpcStatusLabel } from '../storage/encryption/kms/kms-v2-client.ts';
import { keyIdHash } from '../storage/encryption/kms/kms-v2-encrypted-object.ts';

/** metrics.ExponentialBuckets. */
const exponential = (start: number, factor: number, count: number) => Array.from({ length: count }, (_, i) => start * factor ** i);

/** Label sets of the key ID metrics kept (upstream's cacheSize). */
const KEY_ID_LABEL_SETS = 100;
/** Transformation label sets whose prom-client children are kept (prefixes come from the configuration). */
const TRANSFORM_CHILDREN = 1024;

/** getHash: empty stays empty; the same function as the KMS provider's GetHashIfNotEmpty. */
const hashOf = keyIdHash;

export class EncryptionMetrics implements EncryptionRecorder {
  private readonly apiServerIdHash: string;
  private readonly now: () => number;
  private readonly metrics: Array<Metric | FastCounter | FastHistogram> = [];
  private readonly keyIdHashes = new Map<string, string>();
  private readonly usedLabels = new Map<string, Record<string, string>>();
  private readonly statusLabels = new Map<string, Record<string, string>>();
  private configHash?: string;
  /** Every stored value passes here: the children of a label set are looked up once. */
  private readonly transformChildren = new Map<string, { count: { inc(): void }; duration: { observe(v: number): void } }>();

  private readonly transformDuration: FastHistogram;
  private readonly transformTotal: FastCounter;
  private readonly cacheMisses: Counter;
  private readonly dekGenDuration: Histogram;
  private readonly dekGenFailures: Counter;
  private readonly keyIdHashTotal: Counter;
  private readonly keyIdHashLast: Gauge;
  private readonly keyIdHashStatusLast: Gauge;
  private readonly invalidKeyId: Counter;
  private readonly kmsLatency: Histogram;
  private readonly dekSourceCache: Gauge;
  private readonly reloads: Counter;
  private readonly reloadLast: Gauge;

  constructor(apiServerId: string, now: () => number = Date.now) {
    this.apiServerIdHash = hashOf(apiServerId);
    this.now = now;
    const add = <M extends Metric | FastCounter | FastHistogram>(m: M): M => {
      this.metrics.push(m);
      return m;
    };
    const no: Registry[] = [];
    this.transformDuration = add(new FastHistogram({ name: 'apiserver_storage_transformation_duration_seconds', help: 'Latencies in seconds of value transformation operations.', labelNames: ['transformation_type', 'transformer_prefix'], buckets: exponential(5e-6, 2, 25), registers: no }));
    this.transformTotal = add(new FastCounter({ name: 'apiserver_storage_transformation_operations_total', help: 'Total number of transformations.', labelNames: ['transformation_type', 'transformer_prefix', 'status'], registers: no }));
    this.cacheMisses = add(new Counter({ name: 'apiserver_storage_envelope_transformation_cache_misses_total', help: 'Total number of cache misses while accessing key decryption key(KEK).', registers: no }));
    this.dekGenDuration = add(new Histogram({ name: 'apiserver_storage_data_key_generation_duration_seconds', help: 'Latencies in seconds of data encryption key(DEK) generation operations.', buckets: exponential(5e-6, 2, 14), registers: no }));
    this.dekGenFailures = add(new Counter({ name: 'apiserver_storage_data_key_generation_failures_total', help: 'Total number of failed data encryption key(DEK) generation operations.', registers: no }));
    add(new Gauge({ name: 'apiserver_envelope_encryption_dek_cache_fill_percent', help: 'Percent of the cache slots currently occupied by cached DEKs.', registers: no }));
    add(new Histogram({ name: 'apiserver_envelope_encryption_dek_cache_inter_arrival_time_seconds', help: 'Time (in seconds) of inter arrival of transformation requests.', labelNames: ['transformation_type'], buckets: exponential(60, 2, 10), registers: no }));
    this.dekSourceCache = add(new Gauge({ name: 'apiserver_envelope_encryption_dek_source_cache_size', help: 'Number of records in data encryption key (DEK) source cache. On a restart, this value is an approximation of the number of decrypt RPC calls the server will make to the KMS plugin.', labelNames: ['provider_name'], registers: no }));
    this.keyIdHashTotal = add(new Counter({ name: 'apiserver_envelope_encryption_key_id_hash_total', help: 'Number of times a keyID is used split by transformation type, provider, and apiserver identity.', labelNames: ['transformation_type', 'provider_name', 'key_id_hash', 'apiserver_id_hash'], registers: no }));
    this.keyIdHashLast = add(new Gauge({ name: 'apiserver_envelope_encryption_key_id_hash_last_timestamp_seconds', help: 'The last time in seconds when a keyID was used.', labelNames: ['transformation_type', 'provider_name', 'key_id_hash', 'apiserver_id_hash'], registers: no }));
    this.keyIdHashStatusLast = add(new Gauge({ name: 'apiserver_envelope_encryption_key_id_hash_status_last_timestamp_seconds', help: 'The last time in seconds when a keyID was returned by the Status RPC call.', labelNames: ['provider_name', 'key_id_hash', 'apiserver_id_hash'], registers: no }));
    this.invalidKeyId = add(new Counter({ name: 'apiserver_envelope_encryption_invalid_key_id_from_status_total', help: 'Number of times an invalid keyID is returned by the Status RPC call split by error.', labelNames: ['provider_name', 'error'], registers: no }));
    this.kmsLatency = add(new Histogram({ name: 'apiserver_envelope_encryption_kms_operations_latency_seconds', help: 'KMS operation duration with gRPC error code status total.', labelNames: ['provider_name', 'method_name', 'grpc_status_code'], buckets: exponential(0.0001, 2, 20), registers: no }));
    this.reloads = add(new Counter({ name: 'apiserver_encryption_config_controller_automatic_reloads_total', help: 'Total number of reload successes and failures of encryption configuration split by apiserver identity.', labelNames: ['status', 'apiserver_id_hash'], registers: no }));
    this.reloadLast = add(new Gauge({ name: 'apiserver_encryption_config_controller_automatic_reload_last_timestamp_seconds', help: 'Timestamp of the last successful or failed automatic reload of encryption configuration split by apiserver identity.', labelNames: ['status', 'apiserver_id_hash'], registers: no }));
    const self = this;
    add(new Gauge({
      name: 'apiserver_encryption_config_controller_last_config_info',
      help: 'Information about the last applied encryption configuration with hash as label, split by apiserver identity.',
      labelNames: ['apiserver_id_hash', 'hash'],
      registers: no,
      collect() {
        this.reset();
        if (self.configHash !== undefined) this.set({ apiserver_id_hash: self.apiServerIdHash, hash: self.configHash }, 1);
      },
    }));
  }

  /** Puts every metric on the server's registry (`/metrics`). */
  register(registry: Registry): void {
    for (const m of this.metrics) registry.registerMetric(m as Metric);
  }

  private seconds(): number {
    return this.now() / 1000;
  }

  /** A key ID's hash, computed once per key ID (bounded like the label sets). */
  private keyIdHash(keyId: string): string {
    let h = this.keyIdHashes.get(keyId);
    if (h === undefined) {
      h = hashOf(keyId);
      this.keyIdHashes.set(keyId, h);
      if (this.keyIdHashes.size > KEY_ID_LABEL_SETS) this.keyIdHashes.delete(this.keyIdHashes.keys().next().value!);
    }
    return h;
  }

  /** addLabelToCache: the most recently used label sets stay; the evicted one's series go. */
  private touch(lru: Map<string, Record<string, string>>, labels: Record<string, string>, evict: (labels: Record<string, string>) => void): void {
    const key = JSON.stringify(labels);
    lru.delete(key);
    lru.set(key, labels);
    if (lru.size > KEY_ID_LABEL_SETS) {
      const [oldest, old] = lru.entries().next().value!;
      lru.delete(oldest);
      evict(old);
    }
  }

  transformation(type: TransformationType, prefix: string, seconds: number, err: unknown): void {
    const status = grpcStatusLabel(err);
    const key = `${type}\u0000${prefix}\u0000${status}`;
    let c = this.transformChildren.get(key);
    if (!c) {
      c = { count: this.transformTotal.labels(type, prefix, status), duration: this.transformDuration.labels(type, prefix) };
      if (this.transformChildren.size < TRANSFORM_CHILDREN) this.transformChildren.set(key, c);
    }
    c.count.inc();
    if (err === undefined) c.duration.observe(seconds);
  }

  dataKeyGeneration(seconds: number, err: unknown): void {
    if (err !== undefined) this.dekGenFailures.inc();
    else this.dekGenDuration.observe(seconds);
  }

  cacheMiss(): void {
    this.cacheMisses.inc();
  }

  keyIdUsed(type: TransformationType, provider: string, keyId: string): void {
    const labels = { transformation_type: type, provider_name: provider, key_id_hash: this.keyIdHash(keyId), apiserver_id_hash: this.apiServerIdHash };
    this.touch(this.usedLabels, labels, (old) => {
      this.keyIdHashTotal.remove(old);
      this.keyIdHashLast.remove(old);
    });
    this.keyIdHashTotal.inc(labels);
    this.keyIdHashLast.set(labels, this.seconds());
  }

  keyIdFromStatus(provider: string, keyId: string): void {
    const labels = { provider_name: provider, key_id_hash: this.keyIdHash(keyId), apiserver_id_hash: this.apiServerIdHash };
    this.touch(this.statusLabels, labels, (old) => this.keyIdHashStatusLast.remove(old));
    this.keyIdHashStatusLast.set(labels, this.seconds());
  }

  invalidKeyIdFromStatus(provider: string, code: InvalidKeyIdCode): void {
    this.invalidKeyId.inc({ provider_name: provider, error: code });
  }

  kmsOperation(provider: string, method: string, seconds: number, err: unknown): void {
    this.kmsLatency.observe({ provider_name: provider, method_name: method, grpc_status_code: grpcStatusLabel(err) }, seconds);
  }

  dekSourceCacheSize(provider: string, size: number): void {
    this.dekSourceCache.set({ provider_name: provider }, size);
  }

  reload(outcome: 'success' | 'failure'): void {
    const labels = { status: outcome, apiserver_id_hash: this.apiServerIdHash };
    this.reloads.inc(labels);
    this.reloadLast.set(labels, this.seconds());
  }

  configInForce(hash: string): void {
    this.configHash = hash;
  }
}
