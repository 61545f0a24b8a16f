/**
 * Threshold signature checks over canonical JSON (tuf/signed/verify.go VerifySignatures and
 * verifiers.go): each signature names a key ID and a method; only keys of the role count, each
 * key at most once, and at least `threshold` distinct keys must have signed. Methods and their
 * key types are notary's: "ecdsa" (raw r||s over SHA-256) with ecdsa and ecdsa-x509 keys,
 * "rsapss" (SHA-256, salt length 32) and "rsapkcs1v15" with RSA keys of 2048 bits or more, and
 * "eddsa" with ed25519 keys. Anything else never counts.
 */
import { constants, verify } from 'node:crypto';
import { ImagePolicyError } from '../../errors.ts';
import { strictBase64, type TufKey } from './tuf-key.ts';

export interface RoleKeys {
  name: string;
  keys: ReadonlyMap<string, TufKey>;
  threshold: number;
}

export interface Signature {
  keyid: string;
  method: string;
  sig: Buffer;
}

const MIN_RSA_BITS = 2048;

/** The `signatures` array of an envelope, with methods lower-cased as notary's unmarshal does. */
export function parseSignatures(raw: unknown, role: string): Signature[] {
  if (!Array.isArray(raw)) throw new ImagePolicyError('SIGNATURE_INVALID', `${role}: signatures is not a list`);
  if (raw.length > 64) throw new ImagePolicyError('SIGNATURE_INVALID', `${role}: more than 64 signatures`);
  return raw.map((s, i) => {
    const o = (s ?? {}) as { keyid?: unknown; method?: unknown; sig?: unknown };
    if (typeof o.keyid !== 'string' || typeof o.method !== 'string') {
      throw new ImagePolicyError('SIGNATURE_INVALID', `${role}: signature ${i} lacks keyid or method`);
    }
    return { keyid: o.keyid, method: o.method.toLowerCase(), sig: strictBase64(o.sig, `${role}: signature ${i}`) };
  });
}

/** Throws SIGNATURE_INVALID unless `threshold` distinct role keys signed `message`. */
export function verifyThreshold(message: Buffer, signatures: Signature[], role: RoleKeys): void {
  if (signatures.length === 0) throw new ImagePolicyError('SIGNATURE_INVALID', `${role.name}: metadata has no signatures`);
  if (!(role.threshold >= 1)) throw new ImagePolicyError('SIGNATURE_INVALID', `${role.name}: invalid threshold ${role.threshold}`);
  const valid = new Set<string>();
  for (const s of signatures) {
    const key = role.keys.get(s.keyid);
    if (!key || valid.has(s.keyid)) continue;
    if (verifyOne(message, s, key)) valid.add(s.keyid);
  }
  if (valid.size < role.threshold) {
    throw new ImagePolicyError(
      'SIGNATURE_INVALID',
      `${role.name}: valid signatures did not meet threshold (${valid.size} of ${role.threshold} required)`,
    );
  }
}

export function verifyOne(message: Buffer, s: Signature, key: TufKey): boolean {
  try {
    switch (s.method) {
      case 'ecdsa': {
        if (key.type !== 'ecdsa' && key.type !== 'ecdsa-x509') return false;
        const bits = curveBits(key);
        if (s.sig.length !== 2 * Math.ceil(bits / 8)) return false;
        return verify('sha256', message, { key: key.key, dsaEncoding: 'ieee-p1363' }, s.sig);
      }
      case 'rsapss':
      case 'rsapkcs1v15': {
        if (key.type !== 'rsa' && key.type !== 'rsa-x509') return false;
        if ((key.key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS || s.sig.length < MIN_RSA_BITS / 8) return false;
        const padding = s.method === 'rsapss' ? constants.RSA_PKCS1_PSS_PADDING : constants.RSA_PKCS1_PADDING;
        return verify('sha256', message, { key: key.key, padding, saltLength: 32 }, s.sig);
      }
      case 'eddsa':
        if (key.type !== 'ed25519' || s.sig.length !== 64) return false;
        return verify(null, message, key.key, s.sig);
      default:
        return false;
    }
  } catch {
    return false;
  }
}

function curveBits(key: TufKey): number {
  const curve = key.key.asymmetricKeyDetails?.namedCurve;
  if (curve === 'prime256v1') return 256;
  if (curve === 'secp384r1') return 384;
  if (curve === 'secp521r1') return 521;
  throw new Error(`unsupported curve ${curve}`);
}
