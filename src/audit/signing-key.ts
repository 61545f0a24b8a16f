/**
 * The cluster's audit signing key: ECDSA P-256, generated once into the data dir's PKI beside the
 * CA and the service-account key (pki/audit-signing.key, mode 0600; pki/audit-signing.pub). Its
 * checkpoints are what make a rewritten log detectable even when every hash was recomputed.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../pki/write-file-atomic.ts';

export interface AuditSigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** sha256 of the public key's DER (SPKI), hex: names the key in each checkpoint. */
  keyID: string;
}

export function signingKeyPaths(dataDir: string): { key: string; pub: string } {
  const dir = join(dataDir, 'pki');
  return { key: join(dir, 'audit-signing.key'), pub: join(dir, 'audit-signing.pub') };
}

/** Loads the key, or generates it on first start. */
export function ensureAuditSigningKey(dataDir: string): AuditSigningKey {
  const p = signingKeyPaths(dataDir);
  if (!existsSync(p.key)) {
    mkdirSync(join(dataDir, 'pki'), { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    writeFileAtomic(p.key, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 0o600);
  }
  const privateKey = createPrivateKey(readFileSync(p.key, 'utf8'));
  const d = privateKey.asymmetricKeyDetails;
  if (privateKey.asymmetricKeyType !== 'ec' || d?.namedCurve !== 'prime256v1') throw new Error(`${p.key}: the audit signing key must be an ECDSA P-256 key`);
  const publicKey = createPublicKey(privateKey);
  const pubPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  if (!existsSync(p.pub) || readFileSync(p.pub, 'utf8') !== pubPem) writeFileAtomic(p.pub, pubPem, 0o644);
  return { privateKey, publicKey, keyID: keyIdOf(publicKey) };
}

export function loadAuditPublicKey(path: string): KeyObject {
  const k = createPublicKey(readFileSync(path, 'utf8'));
  if (k.asymmetricKeyType !== 'ec' || k.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error(`${path}: not an ECDSA P-256 public key`);
  return k;
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}
