import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import type { CertKeyPem } from './ca.ts';
import { PkiError } from './errors.ts';

export interface LoadedCa {
  cert: forge.pki.Certificate;
  /** The CA's RSA key as node:crypto signs with it (see sign-certificate.ts). */
  key: KeyObject;
}

/**
 * Parses a CA pair and refuses anything that would mint unverifiable or illegitimate certs: a key
 * that is not the certificate's, or a certificate that is not a CA.
 */
export function loadCa(ca: CertKeyPem): LoadedCa {
  let cert: forge.pki.Certificate;
  let key: KeyObject;
  try {
    cert = forge.pki.certificateFromPem(ca.certPem);
  } catch (err) {
    throw new PkiError('CorruptPem', `CA certificate is not a valid PEM certificate: ${(err as Error).message}`);
  }
  try {
    key = createPrivateKey(ca.keyPem);
  } catch (err) {
    throw new PkiError('CorruptPem', `CA key is not a valid PEM RSA private key: ${(err as Error).message}`);
  }
  // forge parsed the certificate, so it holds an RSA key (forge reads no other kind).
  if (key.asymmetricKeyType !== 'rsa') throw new PkiError('CorruptPem', `CA key is not a valid PEM RSA private key: it is ${key.asymmetricKeyType}`);
  if (!new X509Certificate(ca.certPem).checkPrivateKey(key)) {
    throw new PkiError('KeyMismatch', 'CA key does not match the CA certificate');
  }
  const basic = cert.getExtension('basicConstraints') as { cA?: boolean } | null;
  if (!basic?.cA) throw new PkiError('InvalidOptions', 'CA certificate lacks basicConstraints CA:true');
  return { cert, key };
}
