import forge from 'node-forge';
import type { CertKeyPem } from './ca.ts';
import { PkiError } from './errors.ts';

export interface LoadedCa {
  cert: forge.pki.Certificate;
  privateKey: forge.pki.rsa.PrivateKey;
}

/**
 * Parses a CA pair and refuses anything that would mint unverifiable or illegitimate certs: a key
 * that is not the certificate's, or a certificate that is not a CA.
 */
export function loadCa(ca: CertKeyPem): LoadedCa {
  let cert: forge.pki.Certificate;
  let privateKey: forge.pki.rsa.PrivateKey;
  try {
    cert = forge.pki.certificateFromPem(ca.certPem);
  } catch (err) {
    throw new PkiError('CorruptPem', `CA certificate is not a valid PEM certificate: ${(err as Error).message}`);
  }
  try {
    privateKey = forge.pki.privateKeyFromPem(ca.keyPem);
  } catch (err) {
    throw new PkiError('CorruptPem', `CA key is not a valid PEM RSA private key: ${(err as Error).message}`);
  }
  const publicKey = cert.publicKey as forge.pki.rsa.PublicKey;
  if (!publicKey.n || publicKey.n.compareTo(privateKey.n) !== 0 || publicKey.e.compareTo(privateKey.e) !== 0) {
    throw new PkiError('KeyMismatch', 'CA key does not match the CA certificate');
  }
  const basic = cert.getExtension('basicConstraints') as { cA?: boolean } | null;
  if (!basic?.cA) throw new PkiError('InvalidOptions', 'CA certificate lacks basicConstraints CA:true');
  return { cert, privateKey };
}
