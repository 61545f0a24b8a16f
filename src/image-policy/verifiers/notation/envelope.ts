/**
 * Notation's JWS signature envelope (signature-envelope-jws.md): flattened JWS JSON with exactly
 * payload, protected, header and signature; protected headers alg, cty
 * (application/vnd.cncf.notary.payload.v1+json), crit (which must list the signing scheme, and the
 * authentic signing time and expiry when present), the signing scheme (notary.x509 or
 * notary.x509.signingAuthority) and its time; the certificate chain in the unprotected x5c
 * header. `alg` must be the one the signing key implies (RSA 2048/3072/4096 → PS256/384/512,
 * P-256/384/521 → ES256/384/512): an algorithm-substitution guard. The signature is checked with
 * `jose` under the leaf certificate's key. Everything wrong here is SIGNATURE_INVALID (integrity).
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import { flattenedVerify } from 'jose';
import { ImagePolicyError } from '../../errors.ts';

export const NOTATION_ARTIFACT_TYPE = 'application/vnd.cncf.notary.signature';
export const JWS_MEDIA_TYPE = 'application/jose+json';
export const NOTATION_PAYLOAD_TYPE = 'application/vnd.cncf.notary.payload.v1+json';
export const H = {
  signingScheme: 'io.cncf.notary.signingScheme',
  signingTime: 'io.cncf.notary.signingTime',
  authenticSigningTime: 'io.cncf.notary.authenticSigningTime',
  expiry: 'io.cncf.notary.expiry',
  verificationPlugin: 'io.cncf.notary.verificationPlugin',
  verificationPluginMinVersion: 'io.cncf.notary.verificationPluginMinVersion',
  signingAgent: 'io.cncf.notary.signingAgent',
} as const;
/** A chain longer than this is not a code signing chain anyone issues. */
const MAX_CHAIN = 10;

export type SigningScheme = 'notary.x509' | 'notary.x509.signingAuthority';

export interface ParsedEnvelope {
  scheme: SigningScheme;
  alg: string;
  /** Leaf first, as in x5c. */
  chain: X509Certificate[];
  /** notary.x509: the signer's (untrusted) clock; signingAuthority: the authentic signing time. */
  signingTime: Date;
  expiry?: Date;
  target: { mediaType: string; digest: string; size: number };
}

const invalid = (msg: string, cause?: unknown): never => {
  throw new ImagePolicyError('SIGNATURE_INVALID', msg, cause === undefined ? undefined : { cause });
};

/** The JWS `alg` a signing key implies, or undefined for a key Notation does not allow. */
export function algorithmFor(key: KeyObject): string | undefined {
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') return ({ 2048: 'PS256', 3072: 'PS384', 4096: 'PS512' } as Record<number, string>)[d.modulusLength ?? 0];
  if (key.asymmetricKeyType === 'ec') return ({ prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' } as Record<string, string>)[d.namedCurve ?? ''];
  return undefined;
}

function rfc3339(v: unknown, name: string): Date {
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v)) invalid(`protected header ${name} is not an RFC 3339 time: ${JSON.stringify(v)}`);
  const d = new Date(v as string);
  if (Number.isNaN(d.getTime())) invalid(`protected header ${name} is not a valid time: ${JSON.stringify(v)}`);
  return d;
}

function decodeJson(b64url: unknown, what: string): Record<string, unknown> {
  if (typeof b64url !== 'string' || !/^[A-Za-z0-9_-]*$/.test(b64url)) invalid(`${what} is not base64url`);
  try {
    const v = JSON.parse(Buffer.from(b64url as string, 'base64url').toString('utf8'));
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch (err) {
    return invalid(`${what} is not a JSON object`, err);
  }
}

/** Parses and verifies the envelope's integrity; the chain's trust is checked by the caller. */
export async function openEnvelope(bytes: Buffer): Promise<ParsedEnvelope> {
  let jws: Record<string, unknown>;
  try {
    jws = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    return invalid('the envelope is not JSON', err);
  }
  if (typeof jws !== 'object' || jws === null || Array.isArray(jws)) invalid('the envelope is not a JSON object');
  const extra = Object.keys(jws).filter((k) => !['payload', 'protected', 'header', 'signature'].includes(k));
  if (extra.length > 0) invalid(`the envelope is not flattened JWS JSON as Notation writes it: unexpected ${extra.map((k) => JSON.stringify(k)).join(', ')}`);
  const ph = decodeJson(jws.protected, 'the protected header');
  const header = jws.header as Record<string, unknown> | undefined;
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return invalid('the envelope has no unprotected header (x5c)');

  const x5c = header.x5c;
  if (!Array.isArray(x5c) || x5c.length === 0 || x5c.length > MAX_CHAIN) return invalid(`x5c must hold the signing certificate chain (1 to ${MAX_CHAIN} certificates)`);
  const chain = x5c.map((c, i) => {
    try {
      if (typeof c !== 'string' || !/^[A-Za-z0-9+/]+=*$/.test(c)) throw new Error('not base64');
      return new X509Certificate(Buffer.from(c, 'base64'));
    } catch (err) {
      return invalid(`x5c[${i}] is not a DER certificate: ${(err as Error).message}`, err);
    }
  });

  if (ph.cty !== NOTATION_PAYLOAD_TYPE) invalid(`unsupported content type (cty) ${JSON.stringify(ph.cty)}: want ${NOTATION_PAYLOAD_TYPE}`);
  const scheme = ph[H.signingScheme];
  if (scheme !== 'notary.x509' && scheme !== 'notary.x509.signingAuthority') invalid(`unsupported signing scheme ${JSON.stringify(scheme)}`);
  const crit = ph.crit;
  if (!Array.isArray(crit) || !crit.includes(H.signingScheme)) invalid(`crit must list ${H.signingScheme}`);
  const critList = crit as string[];
  const known = [H.signingScheme, H.authenticSigningTime, H.expiry, H.verificationPlugin, H.verificationPluginMinVersion];
  for (const c of critList) {
    if (typeof c !== 'string' || !known.includes(c as never)) invalid(`critical header ${JSON.stringify(c)} is not understood`);
    if (!(c in ph)) invalid(`critical header ${JSON.stringify(c)} is missing`);
  }
  for (const h of [H.authenticSigningTime, H.expiry, H.verificationPlugin, H.verificationPluginMinVersion]) {
    if (h in ph && !critList.includes(h)) invalid(`${h} must be listed in crit`);
  }
  if (H.verificationPlugin in ph) invalid(`the signature requires the verification plugin ${JSON.stringify(ph[H.verificationPlugin])}; plugins are not supported`);
  const signingTime = scheme === 'notary.x509' ? rfc3339(ph[H.signingTime], H.signingTime) : rfc3339(ph[H.authenticSigningTime], H.authenticSigningTime);
  if (scheme === 'notary.x509' && H.authenticSigningTime in ph) invalid(`${H.authenticSigningTime} is only valid with the notary.x509.signingAuthority scheme`);
  if (scheme === 'notary.x509.signingAuthority' && H.signingTime in ph) invalid(`${H.signingTime} is only valid with the notary.x509 scheme`);
  const expiry = H.expiry in ph ? rfc3339(ph[H.expiry], H.expiry) : undefined;

  const leafKey = chain[0]!.publicKey;
  const alg = algorithmFor(leafKey);
  if (!alg) invalid(`the signing certificate's key (${leafKey.asymmetricKeyType}) is not one Notation allows: RSA 2048/3072/4096 or ECDSA P-256/P-384/P-521`);
  if (ph.alg !== alg) invalid(`alg ${JSON.stringify(ph.alg)} is not the signing key's algorithm ${alg}`);
  let payloadBytes: Uint8Array;
  try {
    const r = await flattenedVerify(jws as never, leafKey, { algorithms: [alg!], crit: { [H.signingScheme]: true, [H.authenticSigningTime]: true, [H.expiry]: true, [H.verificationPluginMinVersion]: true } });
    payloadBytes = r.payload;
  } catch (err) {
    return invalid(`the signature does not verify under the signing certificate's key: ${(err as Error).message}`, err);
  }
  let target: ParsedEnvelope['target'];
  try {
    const payload = JSON.parse(Buffer.from(payloadBytes).toString('utf8'));
    target = payload?.targetArtifact;
    if (typeof target?.digest !== 'string' || typeof target.mediaType !== 'string' || !Number.isSafeInteger(target.size)) throw new Error('no targetArtifact descriptor');
  } catch (err) {
    return invalid(`the signed payload is not a Notation payload: ${(err as Error).message}`, err);
  }
  return { scheme: scheme as SigningScheme, alg: alg!, chain, signingTime, ...(expiry && { expiry }), target };
}
