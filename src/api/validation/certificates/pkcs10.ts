/**
 * Just enough PKCS#10 (RFC 2986) to do what upstream's certificates.ParseCSR and
 * x509.CertificateRequest.CheckSignature do for CSR validation and admission: find the one
 * CERTIFICATE REQUEST PEM block, read the subject's organizations, and verify the self-signature
 * over the exact bytes received. Any key type node:crypto knows (RSA, ECDSA, Ed25519) works, which
 * node-forge's CSR reader (RSA only) does not.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';

export class CsrError extends Error {}

export interface ParsedCsr {
  /** The DER of certificationRequestInfo, as signed. */
  tbs: Buffer;
  organizations: string[];
  publicKey: KeyObject;
  signatureAlgorithm: string;
  signature: Buffer;
}

interface Tlv {
  tag: number;
  /** The whole element, header included. */
  all: Buffer;
  body: Buffer;
}

const MALFORMED = 'x509: malformed certificate request';

/** One DER element at the start of `buf`. Long-form lengths up to 4 bytes; no indefinite form. */
function readTlv(buf: Buffer, at = 0): Tlv {
  if (at + 2 > buf.length) throw new CsrError(MALFORMED);
  const tag = buf[at]!;
  let len = buf[at + 1]!;
  let off = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || off + n > buf.length) throw new CsrError(MALFORMED);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[off + i]!;
    off += n;
  }
  if (off + len > buf.length) throw new CsrError(MALFORMED);
  return { tag, all: buf.subarray(at, off + len), body: buf.subarray(off, off + len) };
}

/** The elements of a constructed element's body, in order. */
function children(body: Buffer): Tlv[] {
  const out: Tlv[] = [];
  for (let at = 0; at < body.length; ) {
    const t = readTlv(body, at);
    out.push(t);
    at += t.all.length;
  }
  return out;
}

function expect(t: Tlv | undefined, tag: number): Tlv {
  if (!t || t.tag !== tag) throw new CsrError(MALFORMED);
  return t;
}

function oid(body: Buffer): string {
  if (body.length === 0) throw new CsrError(MALFORMED);
  const parts = [Math.floor(body[0]! / 40), body[0]! % 40];
  let v = 0;
  for (let i = 1; i < body.length; i++) {
    v = v * 128 + (body[i]! & 0x7f);
    if (!(body[i]! & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

const SEQUENCE = 0x30;
const SET = 0x31;
const OID = 0x06;
const BIT_STRING = 0x03;
const ORGANIZATION = '2.5.4.10';

/** The first PEM block of the text; upstream accepts only CERTIFICATE REQUEST. */
function pemBlock(pem: string): Buffer {
  const m = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/.exec(pem);
  if (!m || m[1] !== 'CERTIFICATE REQUEST') throw new CsrError('PEM block type must be CERTIFICATE REQUEST');
  // Headers ("Key: value" lines) are not part of a CSR; the body is base64 only.
  const b64 = m[2]!.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw new CsrError('PEM block type must be CERTIFICATE REQUEST');
  return Buffer.from(b64, 'base64');
}

/** Parses spec.request (the PEM text, already base64-decoded from JSON). */
export function parseCsr(pem: string): ParsedCsr {
  const der = pemBlock(pem);
  const top = expect(readTlv(der), SEQUENCE);
  if (top.all.length !== der.length) throw new CsrError('x509: trailing data after certificate request');
  const [info, alg, sig] = children(top.body);
  const infoT = expect(info, SEQUENCE);
  const [, subject, spki] = children(infoT.body);
  const organizations: string[] = [];
  for (const rdn of children(expect(subject, SEQUENCE).body)) {
    for (const atv of children(expect(rdn, SET).body)) {
      const [type, value] = children(expect(atv, SEQUENCE).body);
      if (oid(expect(type, OID).body) === ORGANIZATION && value) organizations.push(value.body.toString('utf8'));
    }
  }
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: expect(spki, SEQUENCE).all, format: 'der', type: 'spki' });
  } catch {
    throw new CsrError('x509: unsupported or malformed public key');
  }
  const [algOid] = children(expect(alg, SEQUENCE).body);
  const sigBits = expect(sig, BIT_STRING).body;
  if (sigBits.length < 1 || sigBits[0] !== 0) throw new CsrError(MALFORMED);
  return { tbs: infoT.all, organizations, publicKey, signatureAlgorithm: oid(expect(algOid, OID).body), signature: sigBits.subarray(1) };
}

/** Signature algorithm OID -> digest for node:crypto (null: the key type implies it). */
const ALGORITHMS: Record<string, { digest: string | null; failure: string }> = {
  '1.2.840.113549.1.1.5': { digest: 'sha1', failure: 'crypto/rsa: verification error' },
  '1.2.840.113549.1.1.11': { digest: 'sha256', failure: 'crypto/rsa: verification error' },
  '1.2.840.113549.1.1.12': { digest: 'sha384', failure: 'crypto/rsa: verification error' },
  '1.2.840.113549.1.1.13': { digest: 'sha512', failure: 'crypto/rsa: verification error' },
  '1.2.840.10045.4.1': { digest: 'sha1', failure: 'x509: ECDSA verification failure' },
  '1.2.840.10045.4.3.2': { digest: 'sha256', failure: 'x509: ECDSA verification failure' },
  '1.2.840.10045.4.3.3': { digest: 'sha384', failure: 'x509: ECDSA verification failure' },
  '1.2.840.10045.4.3.4': { digest: 'sha512', failure: 'x509: ECDSA verification failure' },
  '1.3.101.112': { digest: null, failure: 'x509: Ed25519 verification failure' },
};

/** Throws CsrError unless the request is signed by its own key. */
export function checkCsrSignature(csr: ParsedCsr): void {
  const alg = ALGORITHMS[csr.signatureAlgorithm];
  if (!alg) throw new CsrError('x509: cannot verify signature: algorithm unimplemented');
  let ok: boolean;
  try {
    ok = verify(alg.digest, csr.tbs, csr.publicKey, csr.signature);
  } catch {
    ok = false;
  }
  if (!ok) throw new CsrError(alg.failure);
}
