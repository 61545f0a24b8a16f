/**
 * The data ciphers of a KMS v2 envelope, as upstream's storage/value/encrypt/aes:
 * - seed (HKDF_SHA256_XNONCE_AES_GCM_SEED, what upstream writes since 1.29): every write draws 32
 *   random bytes of info, derives a one-use AES-256 key as HKDF-Expand(SHA-256, seed, info) and
 *   seals with AES-GCM under a random 12-byte nonce: info || nonce || ciphertext || tag. The
 *   storage key is the authenticated data, so a value moved to another key does not open.
 * - key (AES_GCM_KEY, written by older servers): the DEK itself is the AES-GCM key; read only.
 */
import { createHmac } from 'node:crypto';
import { newCipher, type RandomBytes } from '../ciphers.ts';

/** commonSize upstream: seed size, info size and derived key size. */
export const SEED_SIZE = 32;
const INFO_SIZE = 32;

/** HKDF-Expand (RFC 5869) for one SHA-256 block: upstream reads 32 bytes from hkdf.Expand, no Extract. */
function expandOneBlock(seed: Buffer, info: Buffer): Buffer {
  return createHmac('sha256', seed).update(info).update(Buffer.from([1])).digest();
}

export interface DataCipher {
  seal(data: Buffer, aad: Buffer): Buffer;
  open(data: Buffer, aad: Buffer): Buffer;
}

export function seedCipher(seed: Buffer, random: RandomBytes): DataCipher {
  if (seed.length < SEED_SIZE) throw new Error(`invalid seed length ${seed.length} used for key generation`);
  const derived = (info: Buffer) => newCipher('aesgcm', expandOneBlock(seed, info), random);
  return {
    seal(data, aad) {
      const info = random(INFO_SIZE);
      return Buffer.concat([info, derived(info).seal(data, aad)]);
    },
    open(data, aad) {
      if (data.length < INFO_SIZE) throw new Error('the stored data was shorter than the required size');
      return derived(data.subarray(0, INFO_SIZE)).open(data.subarray(INFO_SIZE), aad);
    },
  };
}

/** A DEK of the older key type: AES-GCM with the key itself (16, 24 or 32 bytes). */
export function keyCipher(key: Buffer, random: RandomBytes): DataCipher {
  if (![16, 24, 32].includes(key.length)) throw new Error(`crypto/aes: invalid key size ${key.length}`);
  return newCipher('aesgcm', key, random);
}
