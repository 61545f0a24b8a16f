/**
 * Cosign's private key files: "ENCRYPTED SIGSTORE PRIVATE KEY" (or the older "ENCRYPTED COSIGN
 * PRIVATE KEY") PEM whose body is go-securesystemslib's `encrypted` JSON: scrypt (N 2^15, 2^16 or
 * 2^17, r 8, p 1; 32-byte salt) derives the key of a NaCl secretbox (XSalsa20-Poly1305, 24-byte
 * nonce) around the PKCS#8 DER key. `cosign generate-key-pair` writes N 2^16, as keygen does here,
 * so keys move between cosign and Portcullis either way. Plain PKCS#8 / SEC1 / PKCS#1 PEM is read too.
 */
import { createPrivateKey, generateKeyPairSync, randomBytes, scryptSync, type KeyObject } from 'node:crypto';
import { secretbox } from '@noble/ciphers/salsa.js';

const TYPES = ['ENCRYPTED SIGSTORE PRIVATE KEY', 'ENCRYPTED COSIGN PRIVATE KEY'];
/** The parameter sets go-securesystemslib accepts (Legacy, Standard, OWASP); anything else is refused. */
const SCRYPT_N = new Set([32768, 65536, 131072]);

interface EncryptedKey {
  kdf: { name: string; params: { N: number; r: number; p: number }; salt: string };
  cipher: { name: string; nonce: string };
  ciphertext: string;
}

function pem(type: string, body: Buffer): string {
  const b64 = body.toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ${type}-----\n${b64}-----END ${type}-----\n`;
}

function derive(password: string, salt: Buffer, params: { N: number; r: number; p: number }): Buffer {
  return scryptSync(Buffer.from(password, 'utf8'), salt, 32, { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r });
}

/** A private key in cosign's encrypted PEM (the "ENCRYPTED SIGSTORE PRIVATE KEY" label). */
export function encryptPrivateKey(key: KeyObject, password: string): string {
  const der = key.export({ type: 'pkcs8', format: 'der' });
  const params = { N: 65536, r: 8, p: 1 };
  const salt = randomBytes(32);
  const nonce = randomBytes(24);
  const sealed = secretbox(derive(password, salt, params), nonce).seal(der);
  const doc: EncryptedKey = {
    kdf: { name: 'scrypt', params, salt: salt.toString('base64') },
    cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') },
    ciphertext: Buffer.from(sealed).toString('base64'),
  };
  return pem(TYPES[0]!, Buffer.from(JSON.stringify(doc)));
}

/** Reads a private key file: cosign-encrypted (with the password) or plain PEM. */
export function loadPrivateKey(text: string, password: string | undefined): KeyObject {
  const m = /-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END \1-----/.exec(text);
  if (!m || !TYPES.includes(m[1]!)) return createPrivateKey(text);
  if (password === undefined) throw new Error(`an ${m[1]} needs its password (COSIGN_PASSWORD)`);
  let doc: EncryptedKey;
  try {
    doc = JSON.parse(Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64').toString('utf8')) as EncryptedKey;
  } catch {
    throw new Error(`${m[1]}: not go-securesystemslib encrypted JSON`);
  }
  if (doc.kdf?.name !== 'scrypt') throw new Error(`encrypted: unknown kdf name ${JSON.stringify(doc.kdf?.name)}`);
  if (doc.cipher?.name !== 'nacl/secretbox') throw new Error(`encrypted: unknown cipher name ${JSON.stringify(doc.cipher?.name)}`);
  const p = doc.kdf.params;
  if (!p || !SCRYPT_N.has(p.N) || p.r !== 8 || p.p !== 1) throw new Error('unsupported scrypt parameters');
  const nonce = Buffer.from(doc.cipher.nonce, 'base64');
  if (nonce.length !== 24) throw new Error('encrypted: incorrect nonce size');
  let der: Uint8Array;
  try {
    der = secretbox(derive(password, Buffer.from(doc.kdf.salt, 'base64'), p), nonce).open(Buffer.from(doc.ciphertext, 'base64'));
  } catch {
    // go-securesystemslib's words; a wrong password is the usual cause.
    throw new Error('decrypt: encrypted: decryption failed');
  }
  return createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
}

/**
 * `portcullis image keygen`: an ECDSA P-256 pair as `cosign generate-key-pair` makes it: the
 * private key encrypted with the password (cosign.key), the public key as SPKI PEM (cosign.pub).
 */
export function generateSigningKeyPair(password: string): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKeyPem: encryptPrivateKey(privateKey, password), publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}
