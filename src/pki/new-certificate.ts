import { randomBytes } from 'node:crypto';
import forge from 'node-forge';
import { PkiError } from './errors.ts';

/** Source of random bytes for serial numbers; injectable so tests can pin serials. */
export type RandomBytes = (size: number) => Buffer;

/**
 * Issuers backdate notBefore so a certificate minted on one machine is already valid on another
 * whose clock is a little behind (kubeadm uses the same five minutes).
 */
export const BACKDATE_MS = 5 * 60 * 1000;

const DAY_MS = 24 * 60 * 60 * 1000;

export interface NewCertificateOptions {
  publicKey: forge.pki.rsa.PublicKey;
  subject: forge.pki.CertificateField[];
  now: Date;
  validityDays: number;
  random?: RandomBytes;
}

/** An unsigned certificate with serial, validity, subject and key set; callers add the rest. */
export function newCertificate(opts: NewCertificateOptions): forge.pki.Certificate {
  if (!Number.isInteger(opts.validityDays) || opts.validityDays <= 0) {
    throw new PkiError('InvalidOptions', `validityDays must be a positive integer, got ${opts.validityDays}`);
  }
  if (Number.isNaN(opts.now.getTime())) throw new PkiError('InvalidOptions', 'now is an invalid Date');
  const cert = forge.pki.createCertificate();
  cert.publicKey = opts.publicKey;
  cert.serialNumber = serialNumberHex(opts.random ?? randomBytes);
  cert.validity.notBefore = new Date(opts.now.getTime() - BACKDATE_MS);
  cert.validity.notAfter = new Date(opts.now.getTime() + opts.validityDays * DAY_MS);
  cert.setSubject(opts.subject);
  return cert;
}

/**
 * 128 random bits as a positive, minimally encoded DER INTEGER: forge writes the hex bytes as-is,
 * so the top bit must be clear (else negative) and the first byte non-zero (else Go's strict
 * parser rejects the non-minimal encoding).
 */
function serialNumberHex(random: RandomBytes): string {
  const bytes = Buffer.from(random(16));
  if (bytes.length !== 16) throw new PkiError('InvalidOptions', 'random source returned the wrong length');
  bytes[0] = (bytes[0]! & 0x7f) || 0x01;
  return bytes.toString('hex');
}
