/**
 * What Notation's certificate rules need and node:crypto's X509Certificate does not expose: the
 * subject as (type, value) attributes from the DER (not the printed form, whose escaping differs
 * from Go's), and the extensions — keyUsage with its criticality, extendedKeyUsage, basicConstraints,
 * and whether the certificate names a CRL or OCSP responder (revocation information). The DER is
 * read with node-forge's ASN.1 parser, which handles any key type (its certificate reader is RSA-only).
 */
import forge from 'node-forge';

const OID = {
  keyUsage: '2.5.29.15',
  basicConstraints: '2.5.29.19',
  extKeyUsage: '2.5.29.37',
  crlDistributionPoints: '2.5.29.31',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  ocsp: '1.3.6.1.5.5.7.48.1',
};

/** Attribute types as Go's pkix.Name prints them (what notation compares trusted identities with). */
const ATTRIBUTE_NAMES: Record<string, string> = {
  '2.5.4.6': 'C', '2.5.4.8': 'ST', '2.5.4.7': 'L', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.3': 'CN',
  '2.5.4.5': 'SERIALNUMBER', '2.5.4.9': 'STREET', '2.5.4.17': 'POSTALCODE',
};

export interface CertificateFields {
  /** Subject attributes in order; types as above, other OIDs dotted. */
  subject: { type: string; value: string }[];
  /** undefined when the certificate has no keyUsage extension. */
  keyUsage?: { critical: boolean; digitalSignature: boolean; keyCertSign: boolean };
  extKeyUsage?: string[];
  basicConstraints?: { ca: boolean };
  /** A CRL distribution point or an OCSP responder is named. */
  hasRevocationInfo: boolean;
}

type Asn1 = forge.asn1.Asn1;
const children = (a: Asn1): Asn1[] => (Array.isArray(a.value) ? (a.value as Asn1[]) : []);
const bytesOf = (a: Asn1): string => (typeof a.value === 'string' ? a.value : '');
const oidOf = (a: Asn1): string => forge.asn1.derToOid(forge.util.createBuffer(bytesOf(a)));

function stringValue(a: Asn1): string {
  const raw = bytesOf(a);
  if (a.type === forge.asn1.Type.UTF8) return forge.util.decodeUtf8(raw);
  if (a.type === forge.asn1.Type.BMPSTRING) return Buffer.from(raw, 'binary').swap16().toString('utf16le');
  return Buffer.from(raw, 'binary').toString('latin1');
}

/** Parses the fields of a DER certificate; throws on malformed DER. */
export function certificateFields(der: Buffer): CertificateFields {
  const cert = forge.asn1.fromDer(forge.util.createBuffer(der.toString('binary')), true);
  const tbs = children(cert)[0];
  if (!tbs) throw new Error('not a certificate');
  const parts = children(tbs);
  // version [0] is optional: subject is the 5th (or 6th with the version) element.
  const offset = parts[0]?.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC ? 1 : 0;
  const subjectSeq = parts[4 + offset];
  if (!subjectSeq) throw new Error('certificate without a subject');
  const subject: CertificateFields['subject'] = [];
  for (const rdn of children(subjectSeq)) {
    for (const atv of children(rdn)) {
      const [t, v] = children(atv);
      if (!t || !v) continue;
      const oid = oidOf(t);
      subject.push({ type: ATTRIBUTE_NAMES[oid] ?? oid, value: stringValue(v) });
    }
  }
  const fields: CertificateFields = { subject, hasRevocationInfo: false };
  const extsWrapper = parts.find((p) => p.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && p.type === 3);
  const exts = extsWrapper ? children(children(extsWrapper)[0] ?? extsWrapper) : [];
  for (const ext of exts) {
    const e = children(ext);
    const oid = oidOf(e[0]!);
    const critical = e.length === 3 && bytesOf(e[1]!) !== '\x00';
    const inner = forge.asn1.fromDer(forge.util.createBuffer(bytesOf(e[e.length - 1]!)));
    if (oid === OID.keyUsage) {
      const bits = bytesOf(inner);
      const first = bits.length > 1 ? bits.charCodeAt(1) : 0; // byte 0 is the count of unused bits
      fields.keyUsage = { critical, digitalSignature: (first & 0x80) !== 0, keyCertSign: (first & 0x04) !== 0 };
    } else if (oid === OID.extKeyUsage) {
      fields.extKeyUsage = children(inner).map(oidOf);
    } else if (oid === OID.basicConstraints) {
      const ca = children(inner)[0];
      fields.basicConstraints = { ca: ca !== undefined && ca.type === forge.asn1.Type.BOOLEAN && bytesOf(ca) !== '\x00' };
    } else if (oid === OID.crlDistributionPoints) {
      fields.hasRevocationInfo = true;
    } else if (oid === OID.authorityInfoAccess) {
      if (children(inner).some((ad) => children(ad)[0] && oidOf(children(ad)[0]!) === OID.ocsp)) fields.hasRevocationInfo = true;
    }
  }
  return fields;
}

export const CODE_SIGNING_EKU = '1.3.6.1.5.5.7.3.3';
