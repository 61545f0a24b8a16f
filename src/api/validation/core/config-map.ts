/** ConfigMap validation: config keys, no key in both data and binaryData, 1 MiB total, immutability. */
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { forbidden, invalid, path, tooLong, type FieldError } from '../field-errors.ts';
import { nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from '../meta.ts';
import { isConfigMapKey } from '../names.ts';

/** Secrets and config maps share etcd's practical per-object limit. */
export const MAX_SECRET_SIZE = 1024 * 1024;
export const IMMUTABLE_WHEN_SET = 'field is immutable when `immutable` is set';

/** binaryData values are base64 in JSON; Uint8Array if the caller already decoded them. */
export function byteLength(v: unknown): number {
  if (v instanceof Uint8Array) return v.length;
  if (typeof v === 'string') return Buffer.from(v, 'base64').length;
  return 0;
}

/**
 * Upstream's reflect.DeepEqual of an immutable object's data (ValidateConfigMapUpdate,
 * ValidateSecretUpdate): the same keys with the same values, exactly, not semanticEqual's loose
 * comparison (which took "1000" and "1k", "1.0" and "1", an empty value and a missing key as the
 * same). An absent map and an empty one are the same here: one is stored as the other.
 */
export function sameEntries(a: Record<string, unknown> | undefined | null, b: Record<string, unknown> | undefined | null, same: (x: unknown, y: unknown) => boolean): boolean {
  const ka = Object.keys(a ?? {});
  if (ka.length !== Object.keys(b ?? {}).length) return false;
  return ka.every((k) => Object.hasOwn(b!, k) && same(a![k], b![k]));
}

/** Bytes of a binaryData or Secret data value (base64 text in JSON, or already decoded). */
export function valueBytes(v: unknown): Buffer {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return Buffer.from(typeof v === 'string' ? v : '', 'base64');
}

export const sameBytes = (x: unknown, y: unknown): boolean => valueBytes(x).equals(valueBytes(y));

export function validateConfigMap(cm: ConfigMap): FieldError[] {
  const errs = validateObjectMeta(cm.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  const data = cm.data ?? {};
  const binary = cm.binaryData ?? {};
  let total = 0;
  for (const [k, v] of Object.entries(data)) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(path('data').key(k), k, m));
    if (Object.hasOwn(binary, k)) errs.push(invalid(path('data').key(k), k, 'duplicate of key present in binaryData'));
    total += Buffer.byteLength(String(v ?? ''));
  }
  for (const [k, v] of Object.entries(binary)) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(path('binaryData').key(k), k, m));
    if (Object.hasOwn(data, k)) errs.push(invalid(path('binaryData').key(k), k, 'duplicate of key present in data'));
    total += byteLength(v);
  }
  // Upstream reports the size at the empty path: the error is about the whole object.
  if (total > MAX_SECRET_SIZE) errs.push(tooLong(path(), '', MAX_SECRET_SIZE));
  return errs;
}

export function validateConfigMapUpdate(cm: ConfigMap, old: ConfigMap): FieldError[] {
  const errs = validateObjectMetaUpdate(cm.metadata, old.metadata);
  if (old.immutable === true) {
    if (cm.immutable !== true) errs.push(forbidden(path('immutable'), IMMUTABLE_WHEN_SET));
    if (!sameEntries(cm.data, old.data, (x, y) => x === y)) errs.push(forbidden(path('data'), IMMUTABLE_WHEN_SET));
    if (!sameEntries(cm.binaryData, old.binaryData, sameBytes)) errs.push(forbidden(path('binaryData'), IMMUTABLE_WHEN_SET));
  }
  errs.push(...validateConfigMap(cm).filter((e) => !e.field.startsWith('metadata.')));
  return errs;
}
