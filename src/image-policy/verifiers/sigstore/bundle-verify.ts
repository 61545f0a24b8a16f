/**
 * One Sigstore bundle (v0.1–v0.3: hashedrekord message signatures and DSSE envelopes, Rekor v1
 * and v2 entries) verified offline with @sigstore/verify against a configured trusted root:
 * certificate chain to a Fulcio CA at a trusted time, SCTs, transparency-log inclusion and body,
 * RFC 3161 timestamps, the signature — then what the library leaves to its caller: that the bundle
 * is about the subject (the artifact's bytes or its sha256 digest; for DSSE, an in-toto statement
 * whose subject names that digest) and that the signer is a trusted key or keyless identity.
 *
 * Codes: SIGNATURE_INVALID (malformed bundle, bad signature, log or timestamp proof),
 * UNTRUSTED_KEY (no trusted key, certificate not from the root's CA, identity not trusted),
 * SUBJECT_MISMATCH (a valid bundle about something else).
 */
import { createHash, type KeyObject } from 'node:crypto';
import { assertBundle, bundleFromJSON, type Bundle } from '@sigstore/bundle';
import { toSignedEntity, Verifier, VerificationError, type SignedEntity, type Signer } from '@sigstore/verify';
import { ImagePolicyError } from '../../errors.ts';
import { verifyDigestSignature } from './digest-signature.ts';
import { identityMatches, type KeylessIdentity } from './identity.ts';
import type { SigstoreTrust } from './trusted-root.ts';

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/** Statements are small; a payload this large is refused before JSON parsing. */
const MAX_STATEMENT_BYTES = 4 * 1024 * 1024;

export type BundleSubject = { artifact: Buffer } | { digest: string };

export interface BundleVerifyInput {
  /** The bundle's JSON, parsed. */
  bundle: unknown;
  subject: BundleSubject;
  trust: SigstoreTrust;
  /** Keys trusted for key-based bundles (each tried; the bundle's key hint does not choose). */
  keys?: readonly KeyObject[];
  /** Identities trusted for certificate (keyless) bundles; none means certificates are not accepted. */
  identities?: readonly KeylessIdentity[];
  /**
   * Key bundles only: their log entries and timestamps are not looked at (cosign verify --key
   * --insecure-ignore-tlog; the trust is the key alone, as for cosign's legacy signatures here).
   * Never applied to certificate bundles, whose short-lived certificate needs a trusted time.
   */
  keysWithoutLog?: boolean;
}

export interface InTotoStatement {
  _type?: string;
  subject?: { name?: string; digest?: Record<string, string> }[];
  predicateType?: string;
  predicate?: unknown;
}

export interface BundleVerifyResult {
  /** 'key' with the index of the key, or 'keyless' with the certificate's identity. */
  signer: { kind: 'key'; keyIndex: number } | { kind: 'keyless'; issuer?: string; subject?: string };
  /** The in-toto statement of a DSSE bundle. */
  statement?: InTotoStatement;
}

function fail(code: 'SIGNATURE_INVALID' | 'UNTRUSTED_KEY' | 'SUBJECT_MISMATCH', msg: string, cause?: unknown): never {
  throw new ImagePolicyError(code, msg, { cause });
}

function subjectSha256(subject: BundleSubject): Buffer {
  if ('artifact' in subject) return createHash('sha256').update(subject.artifact).digest();
  const m = /^sha256:([0-9a-f]{64})$/.exec(subject.digest);
  if (!m) throw new Error(`digest ${JSON.stringify(subject.digest)} is not sha256:<64 hex>`);
  return Buffer.from(m[1]!, 'hex');
}

export function parseBundle(json: unknown): Bundle {
  try {
    const b = bundleFromJSON(json);
    assertBundle(b);
    return b;
  } catch (e) {
    fail('SIGNATURE_INVALID', `not a valid Sigstore bundle: ${(e as Error).message}`, e);
  }
}

/**
 * The signed entity, with the message signature checked against the digest when only the digest
 * is known, and against the artifact's digest first when the bytes are (the library would check
 * the signature over the bytes but not that the bundle's messageDigest is theirs).
 */
function signedEntity(bundle: Bundle, subject: BundleSubject, sha256: Buffer): SignedEntity {
  const artifact = 'artifact' in subject ? subject.artifact : undefined;
  let entity: SignedEntity;
  try {
    entity = toSignedEntity(bundle, artifact);
  } catch (e) {
    // Certificates and RFC 3161 timestamps are parsed here: garbage in them is a bad bundle.
    fail('SIGNATURE_INVALID', `the bundle's verification material does not parse: ${(e as Error).message}`, e);
  }
  if (bundle.content.$case !== 'messageSignature') return entity;
  const ms = bundle.content.messageSignature;
  if (ms.messageDigest && !Buffer.from(ms.messageDigest.digest).equals(sha256)) {
    fail('SUBJECT_MISMATCH', `the bundle signs sha256:${Buffer.from(ms.messageDigest.digest).toString('hex')}, not sha256:${sha256.toString('hex')}`);
  }
  if (artifact) return entity;
  // Digest input: a hashedrekord over another hash cannot be checked from a sha256 digest.
  if (ms.messageDigest && ms.messageDigest.algorithm !== 1 && ms.messageDigest.algorithm !== 0) {
    fail('SIGNATURE_INVALID', 'the bundle signs a digest other than SHA-256');
  }
  const sig = Buffer.from(ms.signature);
  const base = entity.signature; // a class instance: its methods are on the prototype, not spreadable
  return {
    ...entity,
    signature: {
      signature: sig,
      compareSignature: (s) => base.compareSignature(s),
      compareDigest: (d) => base.compareDigest(d),
      compareSignedDigest: (d) => base.compareSignedDigest(d),
      verifySignature: (key: KeyObject) => verifyDigestSignature(key, sha256, sig),
    },
  };
}

function statementOf(bundle: Bundle, sha256: Buffer): InTotoStatement | undefined {
  if (bundle.content.$case !== 'dsseEnvelope') return undefined;
  const env = bundle.content.dsseEnvelope;
  if (env.payloadType !== IN_TOTO_PAYLOAD_TYPE) fail('SIGNATURE_INVALID', `DSSE payloadType is ${JSON.stringify(env.payloadType)}, want ${IN_TOTO_PAYLOAD_TYPE}`);
  if (env.payload.length > MAX_STATEMENT_BYTES) fail('SIGNATURE_INVALID', `in-toto statement is larger than ${MAX_STATEMENT_BYTES} bytes`);
  let st: InTotoStatement;
  try {
    st = JSON.parse(Buffer.from(env.payload).toString('utf8')) as InTotoStatement;
  } catch (e) {
    fail('SIGNATURE_INVALID', 'the DSSE payload is not JSON', e);
  }
  if (typeof st !== 'object' || st === null || !Array.isArray(st.subject)) fail('SIGNATURE_INVALID', 'the in-toto statement has no subject list');
  const want = sha256.toString('hex');
  if (!st.subject.some((s) => typeof s?.digest?.sha256 === 'string' && s.digest.sha256.toLowerCase() === want)) {
    fail('SUBJECT_MISMATCH', `no subject of the in-toto statement has sha256 ${want}`);
  }
  return st;
}

function libraryFailure(e: unknown, certificate: boolean): never {
  if (e instanceof ImagePolicyError) throw e;
  const code = e instanceof VerificationError ? e.code : '';
  const msg = e instanceof Error ? e.message : String(e);
  if (code === 'CERTIFICATE_ERROR' || code === 'PUBLIC_KEY_ERROR' || (code === 'SIGNATURE_ERROR' && !certificate)) fail('UNTRUSTED_KEY', msg, e);
  fail('SIGNATURE_INVALID', msg, e);
}

export function verifyBundle(input: BundleVerifyInput): BundleVerifyResult {
  const bundle = parseBundle(input.bundle);
  const sha256 = subjectSha256(input.subject);
  const statement = statementOf(bundle, sha256);
  const entity = signedEntity(bundle, input.subject, sha256);
  const { material, options } = input.trust;

  if (entity.key.$case === 'certificate') {
    const identities = input.identities ?? [];
    if (identities.length === 0) fail('UNTRUSTED_KEY', 'the bundle is signed with a certificate and no keyless identity is trusted');
    if (options.timestampThreshold < 1) fail('UNTRUSTED_KEY', 'the trusted root has no transparency log or timestamp authority to date a certificate signature');
    let signer: Signer;
    try {
      signer = new Verifier(material, options).verify(entity);
    } catch (e) {
      libraryFailure(e, true);
    }
    const who = { issuer: signer.identity?.extensions?.issuer, subject: signer.identity?.subjectAlternativeName };
    if (!identities.some((id) => identityMatches(id, who))) {
      fail('UNTRUSTED_KEY', `certificate identity ${JSON.stringify(who.subject)} from issuer ${JSON.stringify(who.issuer)} matches no trusted identity`);
    }
    return { signer: { kind: 'keyless', ...who }, ...(statement && { statement }) };
  }

  const keys = input.keys ?? [];
  if (keys.length === 0) fail('UNTRUSTED_KEY', 'the bundle is signed with a key and no key is trusted');
  const keyEntity = input.keysWithoutLog ? { ...entity, tlogEntries: [], timestamps: [] } : entity;
  let last: unknown;
  for (const [keyIndex, key] of keys.entries()) {
    try {
      new Verifier({ ...material, publicKey: () => ({ publicKey: key, validFor: () => true }) }, options).verify(keyEntity);
      return { signer: { kind: 'key', keyIndex }, ...(statement && { statement }) };
    } catch (e) {
      // A log or timestamp failure does not depend on the key: report it, not the key.
      if (!(e instanceof VerificationError && e.code === 'SIGNATURE_ERROR')) libraryFailure(e, false);
      last = e;
    }
  }
  fail('UNTRUSTED_KEY', 'the bundle signature does not verify with any trusted key', last);
}
