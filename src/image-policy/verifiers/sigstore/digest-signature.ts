/**
 * Signature checks over a digest instead of the artifact's bytes: an image is named by its
 * manifest digest, and a hashedrekord bundle signs that digest's preimage. node:crypto can only
 * verify ECDSA over bytes it hashes itself, so ECDSA goes through @noble/curves with the digest as
 * the message hash; RSA PKCS#1 v1.5 is checked by recovering the DigestInfo. Pure Ed25519 signs the
 * message itself and cannot be checked from a digest (sigstore-go refuses it the same way).
 */
import { constants, publicDecrypt, timingSafeEqual, type KeyObject } from 'node:crypto';
import { p256, p384, p521 } from '@noble/curves/nist.js';

const CURVES = { 'prime256v1': p256, 'secp384r1': p384, 'secp521r1': p521 } as const;

/** DER DigestInfo prefixes of RFC 8017 §9.2 note 1, by hash length. */
const DIGEST_INFO: Record<number, Buffer> = {
  32: Buffer.from('3031300d060960864801650304020105000420', 'hex'),
  48: Buffer.from('3041300d060960864801650304020205000430', 'hex'),
  64: Buffer.from('3051300d060960864801650304020305000440', 'hex'),
};

export function verifyDigestSignature(key: KeyObject, digest: Buffer, signature: Buffer): boolean {
  try {
    if (key.asymmetricKeyType === 'ec') {
      const curve = CURVES[key.asymmetricKeyDetails?.namedCurve as keyof typeof CURVES];
      if (!curve) return false;
      const jwk = key.export({ format: 'jwk' });
      const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
      return curve.verify(signature, digest, point, { prehash: false, format: 'der', lowS: false });
    }
    if (key.asymmetricKeyType === 'rsa') {
      const prefix = DIGEST_INFO[digest.length];
      if (!prefix) return false;
      const want = Buffer.concat([prefix, digest]);
      const got = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature);
      return got.length === want.length && timingSafeEqual(got, want);
    }
    return false;
  } catch {
    return false;
  }
}
