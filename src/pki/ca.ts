import { createPrivateKey } from 'node:crypto';
import forge from 'node-forge';
import { generateRsaKey, generateRsaKeyAsync, type RsaKey } from './key-pair.ts';
import { newCertificate, type RandomBytes } from './new-certificate.ts';
import { signCertificate } from './sign-certificate.ts';

export interface CertKeyPem {
  certPem: string;
  keyPem: string;
}

export interface CreateCaOptions {
  commonName: string;
  now: Date;
  validityDays: number;
  random?: RandomBytes;
}

/** A self-signed RSA-2048 / SHA-256 certificate authority, its key generated on this thread (start-up). */
export function createCA(opts: CreateCaOptions): CertKeyPem {
  return selfSign(generateRsaKey(), opts);
}

/** createCA with the key generated on libuv's thread pool, for a CA made while serving (a metrics API's). */
export async function createCAAsync(opts: CreateCaOptions): Promise<CertKeyPem> {
  return selfSign(await generateRsaKeyAsync(), opts);
}

function selfSign(key: RsaKey, opts: CreateCaOptions): CertKeyPem {
  const subject = [{ name: 'commonName', value: opts.commonName }];
  const cert = newCertificate({ publicKey: key.publicKey, subject, now: opts.now, validityDays: opts.validityDays, random: opts.random });
  cert.setIssuer(subject);
  cert.setExtensions([
    // pathLen 0: this CA signs leaf certificates only, never another CA.
    { name: 'basicConstraints', critical: true, cA: true, pathLenConstraint: 0 },
    { name: 'keyUsage', critical: true, keyCertSign: true, cRLSign: true, digitalSignature: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  signCertificate(cert, createPrivateKey(key.keyPem));
  return { certPem: forge.pki.certificateToPem(cert), keyPem: key.keyPem };
}
