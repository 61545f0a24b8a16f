/**
 * Notary's public keys as they appear in root.json and in delegations: `{"keytype", "keyval":
 * {"public": base64, "private": null}}`. The key ID is the SHA-256 of the key's canonical JSON
 * with `private` null (tuf/data/keys.go TUFKey.ID), so an ID names exactly one key; a document
 * whose map key differs from the computed ID is refused, as notary refuses a signature whose key
 * ID does not match its key's content.
 */
import { createHash, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { ImagePolicyError } from '../../errors.ts';
import { canonicalJson } from './canonical-json.ts';

export type KeyType = 'ecdsa' | 'ecdsa-x509' | 'rsa' | 'rsa-x509' | 'ed25519';
const KEY_TYPES = new Set<string>(['ecdsa', 'ecdsa-x509', 'rsa', 'rsa-x509', 'ed25519']);

export interface TufKey {
  id: string;
  type: KeyType;
  /** The decoded `keyval.public` bytes: DER SPKI, PEM certificate chain, or a raw Ed25519 key. */
  public: Buffer;
  key: KeyObject;
  /** x509 key types: the chain in `public`, leaf first. */
  certs?: X509Certificate[];
}

/** Go's base64.StdEncoding accepts only padded, canonical text; Node's decoder accepts anything. */
export function strictBase64(s: unknown, what: string): Buffer {
  if (typeof s !== 'string') throw invalid(`${what} is not a base64 string`);
  const b = Buffer.from(s, 'base64');
  if (b.toString('base64') !== s) throw invalid(`${what} is not canonical base64`);
  return b;
}

export function keyIdOf(type: string, publicB64: string): string {
  return createHash('sha256').update(canonicalJson({ keytype: type, keyval: { private: null, public: publicB64 } })).digest('hex');
}

/** Parses one key entry; `id` is the map key it was listed under, which must match its content. */
export function parseTufKey(id: string, raw: unknown, where: string): TufKey {
  if (!raw || typeof raw !== 'object') throw invalid(`${where}: key ${id} is not an object`);
  const { keytype, keyval } = raw as { keytype?: unknown; keyval?: { public?: unknown } };
  if (typeof keytype !== 'string' || !KEY_TYPES.has(keytype)) throw invalid(`${where}: key ${id} has unsupported type ${JSON.stringify(keytype)}`);
  const b64 = keyval && typeof keyval === 'object' ? keyval.public : undefined;
  const pub = strictBase64(b64, `${where}: key ${id} public value`);
  if (keyIdOf(keytype, b64 as string) !== id) throw invalid(`${where}: key ID ${id} does not match the key's content`);
  const type = keytype as KeyType;
  try {
    if (type === 'ed25519') {
      if (pub.length !== 32) throw new Error('an ed25519 public key is 32 bytes');
      return { id, type, public: pub, key: createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: pub.toString('base64url') }, format: 'jwk' }) };
    }
    if (type === 'ecdsa' || type === 'rsa') {
      const key = createPublicKey({ key: pub, format: 'der', type: 'spki' });
      checkAlgorithm(key, type);
      return { id, type, public: pub, key };
    }
    const certs = parsePemCertificates(pub.toString('latin1'));
    if (certs.length === 0) throw new Error('no certificate in the key');
    const key = certs[0]!.publicKey;
    checkAlgorithm(key, type === 'ecdsa-x509' ? 'ecdsa' : 'rsa');
    return { id, type, public: pub, key, certs };
  } catch (err) {
    if (err instanceof ImagePolicyError) throw err;
    throw invalid(`${where}: key ${id}: ${(err as Error).message}`);
  }
}

function checkAlgorithm(key: KeyObject, want: 'ecdsa' | 'rsa'): void {
  const got = key.asymmetricKeyType;
  if (want === 'ecdsa' ? got !== 'ec' : got !== 'rsa') throw new Error(`expected an ${want} key, found ${got}`);
}

/** Every CERTIFICATE block of a PEM text, in order (blocks with headers are skipped, as notary does). */
export function parsePemCertificates(pem: string): X509Certificate[] {
  const out: X509Certificate[] = [];
  const re = /-----BEGIN CERTIFICATE-----\r?\n([\s\S]*?)-----END CERTIFICATE-----/g;
  for (let m = re.exec(pem); m; m = re.exec(pem)) {
    if (/^[^\s:]+:/m.test(m[1]!)) continue;
    out.push(new X509Certificate(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')));
  }
  return out;
}

/**
 * The ID `notary key list` prints for a root key: for a certificate key, the ID of the bare
 * public key (DER SPKI) inside it (tuf/utils CanonicalKeyID); other keys are their own ID.
 */
export function canonicalKeyId(k: TufKey): string {
  if (k.type !== 'ecdsa-x509' && k.type !== 'rsa-x509') return k.id;
  const spki = k.key.export({ type: 'spki', format: 'der' });
  return keyIdOf(k.type === 'ecdsa-x509' ? 'ecdsa' : 'rsa', spki.toString('base64'));
}

function invalid(message: string): ImagePolicyError {
  return new ImagePolicyError('SIGNATURE_INVALID', message);
}
