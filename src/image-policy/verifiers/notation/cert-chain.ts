/**
 * The certificate chain of a Notation signature, checked as notation-core-go checks a code
 * signing chain: each certificate issued and signed by the next, the last one self-signed, every
 * certificate above the leaf a CA (basicConstraints cA, keyCertSign when keyUsage is present);
 * the leaf a code signing certificate (keyUsage with digitalSignature, extendedKeyUsage, when
 * present, with id-kp-codeSigning, not a CA, RSA ≥ 2048 or ECDSA ≥ 256 bits). Trust is a
 * certificate of the chain being one of the trust store's (byte for byte), as notation does.
 */
import type { X509Certificate } from 'node:crypto';
import { CODE_SIGNING_EKU, certificateFields, type CertificateFields } from './x509-fields.ts';

/** A problem with the chain's shape or the leaf, or undefined; the leaf's fields otherwise. */
export function checkCodeSigningChain(chain: readonly X509Certificate[]): { problem?: string; leaf?: CertificateFields } {
  const fields: CertificateFields[] = [];
  for (const [i, c] of chain.entries()) {
    try {
      fields.push(certificateFields(c.raw));
    } catch (err) {
      return { problem: `certificate ${i} (${c.subject.replace(/\n/g, ', ')}): ${(err as Error).message}` };
    }
  }
  for (let i = 0; i < chain.length; i++) {
    const c = chain[i]!;
    const issuer = chain[i + 1] ?? c;
    const name = `certificate ${i} (${c.subject.replace(/\n/g, ', ')})`;
    if (!c.checkIssued(issuer) || !c.verify(issuer.publicKey)) {
      return { problem: i + 1 < chain.length ? `${name} is not issued and signed by certificate ${i + 1}` : `${name}, the last of the chain, is not a self-signed root` };
    }
    const f = fields[i]!;
    if (i > 0) {
      if (!f.basicConstraints?.ca) return { problem: `${name} issues certificate ${i - 1} but is not a CA` };
      if (f.keyUsage && !f.keyUsage.keyCertSign) return { problem: `${name} issues certificates but its keyUsage lacks keyCertSign` };
    }
  }
  const leaf = fields[0]!;
  const leafCert = chain[0]!;
  if (leaf.basicConstraints?.ca) return { problem: 'the signing certificate is a CA certificate' };
  if (!leaf.keyUsage?.digitalSignature) return { problem: 'the signing certificate has no keyUsage with digitalSignature' };
  if (leaf.extKeyUsage && !leaf.extKeyUsage.includes(CODE_SIGNING_EKU)) return { problem: `the signing certificate's extendedKeyUsage (${leaf.extKeyUsage.join(', ')}) lacks codeSigning` };
  const d = leafCert.publicKey.asymmetricKeyDetails ?? {};
  if (leafCert.publicKey.asymmetricKeyType === 'rsa' && (d.modulusLength ?? 0) < 2048) return { problem: 'the signing certificate has an RSA key under 2048 bits' };
  return { leaf };
}

/** The trust store certificate the chain leads to, if any. */
export function trustAnchor(chain: readonly X509Certificate[], trusted: readonly X509Certificate[]): X509Certificate | undefined {
  for (const t of trusted) for (const c of chain) if (t.raw.equals(c.raw)) return t;
  return undefined;
}

/** The first certificate not valid at `at`, named with its validity. */
export function invalidAt(chain: readonly X509Certificate[], at: Date): string | undefined {
  for (const [i, c] of chain.entries()) {
    if (at < c.validFromDate || at > c.validToDate) {
      return `certificate ${i} (${c.subject.replace(/\n/g, ', ')}) is valid from ${c.validFromDate.toISOString()} to ${c.validToDate.toISOString()}, not at ${at.toISOString()}`;
    }
  }
  return undefined;
}

/** Certificates of the chain that name a CRL or an OCSP responder (their status needs a fetch). */
export function withRevocationInfo(chain: readonly X509Certificate[]): number[] {
  return chain.flatMap((c, i) => (certificateFields(c.raw).hasRevocationInfo ? [i] : []));
}
