/**
 * The checks and the cache key of a KMS v2 EncryptedObject (envelope/kmsv2/envelope.go
 * ValidateEncryptedObject, ValidateKeyID, validateAnnotations, generateCacheKey,
 * GetHashIfNotEmpty): pure functions of the object, with upstream's messages and limits. They live
 * apart from the provider, whose concern is the state machine around the plugin (probe, rotation,
 * seed cache), so both the write and the read path and the probe share one copy.
 */
import { createHash } from 'node:crypto';
import { isDNS1123Subdomain } from '../../../api/validation/names.ts';
import { aggregateMessage } from '../../../util/aggregate-error.ts';
import { AES_GCM_KEY, HKDF_SHA256_XNONCE_AES_GCM_SEED, type Annotations, type EncryptedObject } from './kms-v2-api.ts';
import type { InvalidKeyIdCode } from '../encryption-recorder.ts';

const KEY_ID_MAX = 1024;
const DEK_SOURCE_MAX = 1024;
const ANNOTATIONS_MAX = 32 * 1024;

/** GetHashIfNotEmpty (the metrics' getHash is the same): key IDs are logged and reported only hashed. */
export function keyIdHash(keyId: string): string {
  return keyId === '' ? '' : `sha256:${createHash('sha256').update(keyId).digest('hex')}`;
}

/** ValidateKeyID, with the metric code of its failure. */
export function validateKeyId(keyId: string): { code: InvalidKeyIdCode; message: string } | undefined {
  if (keyId.length === 0) return { code: 'empty', message: 'keyID is empty' };
  if (Buffer.byteLength(keyId) > KEY_ID_MAX) return { code: 'too_long', message: `keyID is ${Buffer.byteLength(keyId)} bytes, which exceeds the max size of ${KEY_ID_MAX}` };
  return undefined;
}

/** validation.IsFullyQualifiedDomainName on each key, and the 32 kB total. */
function validateAnnotations(annotations: Annotations): string | undefined {
  const errs: string[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(annotations)) {
    const name = k.endsWith('.') ? k.slice(0, -1) : k;
    const dns = k === '' ? [] : isDNS1123Subdomain(name);
    if (k === '') errs.push('annotations: Required value');
    else if (dns.length > 0) errs.push(`annotations: Invalid value: ${JSON.stringify(name)}: ${dns.join(',')}`);
    else if (name.split('.').length < 2) errs.push(`annotations: Invalid value: ${JSON.stringify(name)}: should be a domain with at least two segments separated by dots`);
    total += Buffer.byteLength(k) + v.length;
  }
  if (total > ANNOTATIONS_MAX) errs.push(`total size of annotations is ${total}, which exceeds the max size of ${ANNOTATIONS_MAX}`);
  // field.ErrorList.ToAggregate: repeated messages dropped.
  return aggregateMessage(errs);
}

/** ValidateEncryptedObject, with upstream's messages. */
export function validateEncryptedObject(o: EncryptedObject): void {
  if (o.encryptedDEKSourceType !== AES_GCM_KEY && o.encryptedDEKSourceType !== HKDF_SHA256_XNONCE_AES_GCM_SEED) throw new Error(`unknown encryptedDEKSourceType: ${o.encryptedDEKSourceType}`);
  if (o.encryptedData.length === 0) throw new Error('encrypted data is empty');
  if (o.encryptedDEKSource.length === 0) throw new Error('failed to validate encrypted DEK source: encrypted DEK source is empty');
  if (o.encryptedDEKSource.length > DEK_SOURCE_MAX) throw new Error(`failed to validate encrypted DEK source: encrypted DEK source is ${o.encryptedDEKSource.length} bytes, which exceeds the max size of ${DEK_SOURCE_MAX}`);
  const keyErr = validateKeyId(o.keyID);
  if (keyErr) throw new Error(`failed to validate key id: ${keyErr.message}`);
  const annErr = validateAnnotations(o.annotations);
  if (annErr) throw new Error(`failed to validate annotations: ${annErr}`);
}

/** generateCacheKey: type, length-prefixed DEK source and key ID, then the sorted annotations. */
export function cacheKey(o: Omit<EncryptedObject, 'encryptedData'>): string {
  const parts: Buffer[] = [];
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    parts.push(b);
  };
  const prefixed = (data: Buffer) => {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(data.length);
    parts.push(b, data);
  };
  u32(o.encryptedDEKSourceType);
  prefixed(o.encryptedDEKSource);
  prefixed(Buffer.from(o.keyID));
  const keys = Object.keys(o.annotations).sort();
  if (keys.length > 0) {
    u32(keys.length);
    for (const k of keys) {
      prefixed(Buffer.from(k));
      prefixed(o.annotations[k]!);
    }
  }
  return Buffer.concat(parts).toString('base64');
}
