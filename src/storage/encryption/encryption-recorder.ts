/**
 * What encryption at rest tells the metrics, as upstream's storage/value/metrics.go,
 * encrypt/envelope/metrics/metrics.go and encryptionconfig/metrics/metrics.go record it. The
 * storage layer only calls this interface; the prom-client side is src/metrics/encryption-metrics.ts.
 */

export type TransformationType = 'from_storage' | 'to_storage';

/** ValidateKeyID's error codes (envelope/kmsv2 errKeyIDEmptyCode, errKeyIDTooLongCode). */
export type InvalidKeyIdCode = 'empty' | 'too_long';

export interface EncryptionRecorder {
  /** RecordTransformation: one prefix transformer's read or write, its status the error's gRPC code name. */
  transformation(type: TransformationType, prefix: string, seconds: number, err: unknown): void;
  /** RecordDataKeyGeneration: a KMS v2 seed made. */
  dataKeyGeneration(seconds: number, err: unknown): void;
  /** RecordCacheMiss: a value whose DEK source the plugin had to decrypt. */
  cacheMiss(): void;
  /** RecordKeyID: a KMS v2 read or write under this key ID. */
  keyIdUsed(type: TransformationType, provider: string, keyId: string): void;
  /** RecordKeyIDFromStatus: the key ID a good Status returned. */
  keyIdFromStatus(provider: string, keyId: string): void;
  /** RecordInvalidKeyIDFromStatus. */
  invalidKeyIdFromStatus(provider: string, code: InvalidKeyIdCode): void;
  /** RecordKMSOperationLatency: one call to the plugin (method: the full gRPC method). */
  kmsOperation(provider: string, method: string, seconds: number, err: unknown): void;
  /** RecordDekSourceCacheSize: decrypted DEK sources (seeds) kept. */
  dekSourceCacheSize(provider: string, size: number): void;
  /** The automatic reload of --encryption-provider-config: each attempt that changed or failed to change it. */
  reload(outcome: 'success' | 'failure'): void;
  /** The configuration in force (its content hash), at start and after each reload. */
  configInForce(hash: string): void;
}

/** For stores built without metrics (tests, tools). */
export const NO_RECORDER: EncryptionRecorder = {
  transformation() {},
  dataKeyGeneration() {},
  cacheMiss() {},
  keyIdUsed() {},
  keyIdFromStatus() {},
  invalidKeyIdFromStatus() {},
  kmsOperation() {},
  dekSourceCacheSize() {},
  reload() {},
  configInForce() {},
};

/** Seconds since `start` (a performance.now() reading). */
export const secondsSince = (start: number) => (performance.now() - start) / 1000;
