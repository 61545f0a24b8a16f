/**
 * Issues a certificate for a parsed request with the cluster CA (upstream's
 * pkg/controller/certificates/authority): the requested subject, public key and subjectAltNames,
 * the key usages the signer allowed, CA:false, notBefore backdated 5 minutes, notAfter capped by
 * the CA's own. Built as DER here and signed with the CA's RSA key, so any key type the request
 * carries (ECDSA from kubelets included) can be certified, which node-forge's certificate builder
 * (RSA subjects only) cannot.
 */
import { randomBytes } from 'node:crypto';
import forge from 'node-forge';
import { loadCa, type LoadedCa } from '../../../pki/load-ca.ts';
import type { CertKeyPem } from '../../../pki/ca.ts';
import { ipToBytes } from '../../../pki/ip-bytes.ts';
import { signSha256Rsa } from '../../../pki/sign-certificate.ts';
import type { X509Request } from './csr-request.ts';

const { asn1 } = forge;
const C = asn1.Class.UNIVERSAL;
const T = asn1.Type;
const BACKDATE_MS = 5 * 60 * 1000;
/** Certificates shorter than this are not backdated at the end (PermissiveSigningPolicy.Short). */
const SHORT_MS = 8 * 60 * 60 * 1000;

const KEY_USAGE_BITS: Readonly<Record<string, number>> = Object.freeze({ 'digital signature': 0, signing: 0, 'key encipherment': 2 });
const EXT_KEY_USAGE_OIDS: Readonly<Record<string, string>> = Object.freeze({ 'server auth': '1.3.6.1.5.5.7.3.1', 'client auth': '1.3.6.1.5.5.7.3.2' });

export interface Authority {
  /** Signs `req` valid for `ttlMs` from `now`; answers the certificate PEM. */
  sign(req: X509Request, usages: readonly string[], ttlMs: number, now: number): string;
}

const seq = (v: forge.asn1.Asn1[]) => asn1.create(C, T.SEQUENCE, true, v);
const oid = (o: string) => asn1.create(C, T.OID, false, asn1.oidToDer(o).getBytes());
const raw = (der: string) => asn1.fromDer(der, { decodeBitStrings: false } as never);

function time(ms: number): forge.asn1.Asn1 {
  const d = new Date(Math.floor(ms / 1000) * 1000);
  // RFC 5280: UTCTime through 2049, GeneralizedTime after.
  return d.getUTCFullYear() < 2050 ? asn1.create(C, T.UTCTIME, false, asn1.dateToUtcTime(d)) : asn1.create(C, T.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(d));
}

function extension(id: string, critical: boolean, value: forge.asn1.Asn1): forge.asn1.Asn1 {
  return seq([oid(id), ...(critical ? [asn1.create(C, T.BOOLEAN, false, '\xff')] : []), asn1.create(C, T.OCTETSTRING, false, asn1.toDer(value).getBytes())]);
}

/** KeyUsage as a minimal DER BIT STRING (trailing zero bits dropped). */
function keyUsage(usages: readonly string[]): forge.asn1.Asn1 | undefined {
  let bits = 0;
  for (const u of usages) if (u in KEY_USAGE_BITS) bits |= 0x80 >> KEY_USAGE_BITS[u]!;
  if (!bits) return undefined;
  let unused = 0;
  while (!(bits & (1 << unused))) unused++;
  return asn1.create(C, T.BITSTRING, false, String.fromCharCode(unused, bits));
}

function sanExtension(req: X509Request): forge.asn1.Asn1 | undefined {
  const ctx = asn1.Class.CONTEXT_SPECIFIC;
  const ipBytes = (ip: string) => ipToBytes(ip).toString('binary');
  const names = [
    ...req.dnsNames.map((n) => asn1.create(ctx, 2, false, n)),
    ...req.emailAddresses.map((n) => asn1.create(ctx, 1, false, n)),
    ...req.ipAddresses.map((n) => asn1.create(ctx, 7, false, ipBytes(n))),
    ...req.uris.map((n) => asn1.create(ctx, 6, false, n)),
  ];
  return names.length ? seq(names) : undefined;
}

/** 128 random bits, a positive minimally encoded INTEGER. */
function serial(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) || 0x01;
  return b.toString('binary');
}

export function newAuthority(ca: CertKeyPem): Authority {
  const loaded: LoadedCa = loadCa(ca);
  const issuer = asn1.toDer(forge.pki.distinguishedNameToAsn1(loaded.cert.subject)).getBytes();
  const caKeyId = loaded.cert.generateSubjectKeyIdentifier().getBytes();
  const caNotAfter = loaded.cert.validity.notAfter.getTime();
  return {
    sign(req, usages, ttlMs, now) {
      const notBefore = now - BACKDATE_MS;
      let notAfter = ttlMs < SHORT_MS ? now + ttlMs : notBefore + ttlMs;
      if (notAfter > caNotAfter) notAfter = caNotAfter;
      if (notBefore >= caNotAfter) throw new Error('the signer has expired');
      const extUsages = usages.filter((u) => u in EXT_KEY_USAGE_OIDS).map((u) => EXT_KEY_USAGE_OIDS[u]!);
      const unknown = usages.filter((u) => !(u in KEY_USAGE_BITS) && !(u in EXT_KEY_USAGE_OIDS));
      if (unknown.length) throw new Error(`unsupported key usages: ${unknown.join(', ')}`);
      const exts: forge.asn1.Asn1[] = [];
      const ku = keyUsage(usages);
      if (ku) exts.push(extension('2.5.29.15', true, ku));
      if (extUsages.length) exts.push(extension('2.5.29.37', false, seq([...new Set(extUsages)].map(oid))));
      exts.push(extension('2.5.29.19', true, seq([])));
      exts.push(extension('2.5.29.35', false, seq([asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, false, caKeyId)])));
      const san = sanExtension(req);
      if (san) exts.push(extension('2.5.29.17', false, san));
      const sigAlg = seq([oid('1.2.840.113549.1.1.11'), asn1.create(C, T.NULL, false, '')]);
      const tbs = seq([
        asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [asn1.create(C, T.INTEGER, false, '\x02')]),
        asn1.create(C, T.INTEGER, false, serial()),
        sigAlg,
        raw(issuer),
        seq([time(notBefore), time(notAfter)]),
        raw(req.subjectDer),
        raw(req.spkiDer),
        asn1.create(asn1.Class.CONTEXT_SPECIFIC, 3, true, [seq(exts)]),
      ]);
      const tbsDer = asn1.toDer(tbs).getBytes();
      const signature = signSha256Rsa(tbsDer, loaded.key);
      const cert = seq([raw(tbsDer), sigAlg, asn1.create(C, T.BITSTRING, false, `\x00${signature}`)]);
      const der = asn1.toDer(cert).getBytes();
      return forge.pem.encode({ type: 'CERTIFICATE', body: der }, { maxline: 64 });
    },
  };
}
