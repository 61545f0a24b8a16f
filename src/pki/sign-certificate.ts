/**
 * sha256WithRSAEncryption signatures by node:crypto (OpenSSL) instead of node-forge's pure-JS RSA,
 * which spends some 45 ms of blocked event loop per signature (jsbn modPow) against about 1 ms
 * here. PKCS#1 v1.5 signatures are deterministic, so the bytes are the ones forge would write;
 * forge still assembles the certificate.
 */
import { sign, type KeyObject } from 'node:crypto';
import forge from 'node-forge';

const SHA256_WITH_RSA = forge.pki.oids.sha256WithRSAEncryption!;
const { getTBSCertificate } = forge.pki as unknown as { getTBSCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1 };

/** RSA PKCS#1 v1.5 over SHA-256 of `der` (forge's binary string), as forge's binary string. */
export function signSha256Rsa(der: string, key: KeyObject): string {
  return sign('sha256', Buffer.from(der, 'binary'), key).toString('binary');
}

/** The subjectPublicKeyInfo's place in forge's TBSCertificate (no issuer/subject unique ids are written). */
const SPKI_INDEX = 6;

/**
 * What forge's `cert.sign(key, sha256)` does, with the signature computed by `signSha256Rsa`.
 * `spkiDer` replaces the certificate's public key: forge holds RSA keys only, so a certificate for
 * another kind of key (ECDSA) is built around a stand-in and gets its real key here, before signing.
 */
export function signCertificate(cert: forge.pki.Certificate, key: KeyObject, spkiDer?: string): void {
  cert.signatureOid = SHA256_WITH_RSA;
  cert.siginfo.algorithmOid = SHA256_WITH_RSA;
  const tbs = getTBSCertificate(cert);
  if (spkiDer !== undefined) {
    const fields = tbs.value as forge.asn1.Asn1[];
    const spki = fields[SPKI_INDEX];
    // Fail rather than sign a certificate for the stand-in key.
    if (fields.length !== 8 || spki?.type !== forge.asn1.Type.SEQUENCE) throw new Error('unexpected TBSCertificate layout: cannot place the public key');
    fields[SPKI_INDEX] = forge.asn1.fromDer(spkiDer, { strict: true, decodeBitStrings: false } as never);
  }
  cert.tbsCertificate = tbs;
  cert.signature = signSha256Rsa(forge.asn1.toDer(cert.tbsCertificate).getBytes(), key);
}
