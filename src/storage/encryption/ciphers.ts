/**
 * The value ciphers of upstream's storage/value/encrypt, byte for byte the same envelopes:
 * - aescbc: 16-byte random IV, then AES-CBC of the data with PKCS#7 padding (aes/aes.go cbc);
 * - aesgcm: 12-byte random nonce, then AES-GCM sealed data with its 16-byte tag, the storage key as
 *   additional authenticated data, so a value copied to another key does not open (aes/aes.go gcm);
 * - secretbox: 24-byte random nonce, then NaCl secretbox (XSalsa20-Poly1305, tag first).
 * Errors carry upstream's texts: they end up in the 500 a client sees.
 */
import { createCipheriv, createDecipheriv, randomBytes as nodeRandomBytes, type CipherGCMTypes } from 'node:crypto';
import { xsalsa20poly1305 } from '@noble/ciphers/salsa.js';
import type { CipherName } from './config.ts';

export interface ValueCipher {
  seal(data: Buffer, authenticatedData: Buffer): Buffer;
  open(data: Buffer, authenticatedData: Buffer): Buffer;
}

export type RandomBytes = (n: number) => Buffer;

const AES_BLOCK = 16;
const GCM_NONCE = 12;
const GCM_TAG = 16;
const SECRETBOX_NONCE = 24;
const SECRETBOX_OVERHEAD = 16;

const aesCbcName = (key: Buffer) => `aes-${key.length * 8}-cbc`;

function aesCbc(key: Buffer, random: RandomBytes): ValueCipher {
  return {
    seal(data) {
      const iv = random(AES_BLOCK);
      const pad = AES_BLOCK - (data.length % AES_BLOCK);
      const c = createCipheriv(aesCbcName(key), key, iv).setAutoPadding(false);
      return Buffer.concat([iv, c.update(Buffer.concat([data, Buffer.alloc(pad, pad)])), c.final()]);
    },
    open(data) {
      if (data.length < AES_BLOCK) throw new Error('the stored data was shorter than the required size');
      const body = data.subarray(AES_BLOCK);
      if (body.length % AES_BLOCK !== 0) throw new Error('the stored data is not a multiple of the block size');
      const d = createDecipheriv(aesCbcName(key), key, data.subarray(0, AES_BLOCK)).setAutoPadding(false);
      const out = Buffer.concat([d.update(body), d.final()]);
      const pad = out.length > 0 ? out[out.length - 1]! : 0;
      if (pad === 0 || pad > out.length) throw new Error('invalid PKCS7 data (empty or not padded)');
      for (let i = out.length - pad; i < out.length; i++) if (out[i] !== pad) throw new Error('invalid padding on input');
      return out.subarray(0, out.length - pad);
    },
  };
}

function aesGcm(key: Buffer, random: RandomBytes): ValueCipher {
  return {
    seal(data, aad) {
      const nonce = random(GCM_NONCE);
      const c = createCipheriv(`aes-${key.length * 8}-gcm` as CipherGCMTypes, key, nonce, { authTagLength: GCM_TAG });
      c.setAAD(aad);
      const body = Buffer.concat([c.update(data), c.final()]);
      return Buffer.concat([nonce, body, c.getAuthTag()]);
    },
    open(data, aad) {
      if (data.length < GCM_NONCE + GCM_TAG) throw new Error('the stored data was shorter than the required size');
      const d = createDecipheriv(`aes-${key.length * 8}-gcm` as CipherGCMTypes, key, data.subarray(0, GCM_NONCE), { authTagLength: GCM_TAG });
      d.setAAD(aad);
      d.setAuthTag(data.subarray(data.length - GCM_TAG));
      try {
        return Buffer.concat([d.update(data.subarray(GCM_NONCE, data.length - GCM_TAG)), d.final()]);
      } catch {
        // Go's crypto/cipher wording for a wrong key, a changed value or a value moved to another key.
        throw new Error('cipher: message authentication failed');
      }
    },
  };
}

function secretbox(key: Buffer, random: RandomBytes): ValueCipher {
  return {
    seal(data) {
      const nonce = random(SECRETBOX_NONCE);
      return Buffer.concat([nonce, Buffer.from(xsalsa20poly1305(key, nonce).encrypt(data))]);
    },
    open(data) {
      if (data.length < SECRETBOX_NONCE + SECRETBOX_OVERHEAD) throw new Error('the stored data was shorter than the required size');
      try {
        return Buffer.from(xsalsa20poly1305(key, data.subarray(0, SECRETBOX_NONCE)).decrypt(data.subarray(SECRETBOX_NONCE)));
      } catch {
        // Upstream's (odd) text for a secretbox that does not open.
        throw new Error('output array was not large enough for encryption');
      }
    },
  };
}

export function newCipher(type: CipherName, key: Buffer, random: RandomBytes = nodeRandomBytes): ValueCipher {
  switch (type) {
    case 'aescbc':
      return aesCbc(key, random);
    case 'aesgcm':
      return aesGcm(key, random);
    case 'secretbox':
      return secretbox(key, random);
  }
}
