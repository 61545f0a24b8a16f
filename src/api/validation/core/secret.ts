/**
 * Secret validation. Values in `data` are base64 strings as they arrive in JSON (or Uint8Array when
 * already decoded); stringData must have been merged into data before (see defaults).
 */
import type { Secret } from 'kubernetes-types/core/v1.js';
import { forbidden, invalid, path, required, tooLong, type FieldError } from '../field-errors.ts';
import { nameIsDNSSubdomain, validateImmutable, validateObjectMeta, validateObjectMetaUpdate } from '../meta.ts';
import { isConfigMapKey } from '../names.ts';
import { byteLength, IMMUTABLE_WHEN_SET, MAX_SECRET_SIZE, sameBytes, sameEntries, valueBytes } from './config-map.ts';

function jsonError(buf: Buffer): string | undefined {
  try {
    const parsed: unknown = JSON.parse(buf.toString('utf8'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return 'json: cannot unmarshal into Go value of type map[string]interface {}';
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

export function validateSecret(secret: Secret): FieldError[] {
  const errs = validateObjectMeta(secret.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  const dp = path('data');
  const data = (secret.data ?? {}) as Record<string, unknown>;
  let total = 0;
  for (const [k, v] of Object.entries(data)) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(dp.key(k), k, m));
    total += byteLength(v);
  }
  if (total > MAX_SECRET_SIZE) errs.push(tooLong(dp, '', MAX_SECRET_SIZE));
  const has = (k: string): boolean => Object.hasOwn(data, k);
  switch (secret.type ?? '') {
    case 'kubernetes.io/service-account-token':
      if (!secret.metadata?.annotations?.['kubernetes.io/service-account.name']) {
        errs.push(required(path('metadata', 'annotations').key('kubernetes.io/service-account.name')));
      }
      break;
    case 'kubernetes.io/dockercfg':
    case 'kubernetes.io/dockerconfigjson': {
      const key = secret.type === 'kubernetes.io/dockercfg' ? '.dockercfg' : '.dockerconfigjson';
      if (!has(key)) {
        errs.push(required(dp.key(key)));
        break;
      }
      const err = jsonError(valueBytes(data[key]));
      if (err) errs.push(invalid(dp.key(key), '<secret contents redacted>', err));
      break;
    }
    case 'kubernetes.io/basic-auth':
      if (!has('username') && !has('password')) {
        errs.push(required(dp.key('username')), required(dp.key('password')));
      }
      break;
    case 'kubernetes.io/ssh-auth':
      if (byteLength(data['ssh-privatekey']) === 0) errs.push(required(dp.key('ssh-privatekey')));
      break;
    case 'kubernetes.io/tls':
      if (!has('tls.crt')) errs.push(required(dp.key('tls.crt')));
      if (!has('tls.key')) errs.push(required(dp.key('tls.key')));
      break;
  }
  return errs;
}

export function validateSecretUpdate(secret: Secret, old: Secret): FieldError[] {
  const errs = validateObjectMetaUpdate(secret.metadata, old.metadata);
  errs.push(...validateImmutable(secret.type ?? '', old.type ?? '', path('type')));
  if (old.immutable === true) {
    if (secret.immutable !== true) errs.push(forbidden(path('immutable'), IMMUTABLE_WHEN_SET));
    if (!sameEntries(secret.data, old.data, sameBytes)) errs.push(forbidden(path('data'), IMMUTABLE_WHEN_SET));
  }
  errs.push(...validateSecret(secret).filter((e) => !e.field.startsWith('metadata.')));
  return errs;
}
