/**
 * One Notation signature checked against the trust policy that applies, step by step as
 * trust-store-trust-policy.md orders them. Integrity (the envelope, its signature, the chain's
 * shape) is always enforced; authenticity (the chain leads to a certificate of the policy's trust
 * stores, the signer is a trusted identity), expiry (io.cncf.notary.expiry), authentic timestamp
 * (every certificate valid at the verification time — no RFC 3161 countersignature is read —, or
 * at the authentic signing time of the signingAuthority scheme) and revocation are enforced or
 * logged as the level and its overrides say. Revocation: a certificate that names no CRL or OCSP
 * responder is not revoked (the specification's rule); one that does cannot be checked here (no
 * CRL or OCSP fetch, ever), so its status is unavailable — a failure where revocation is
 * enforced, a logged line otherwise (override revocation: skip to accept such chains).
 */
import { ImagePolicyError, type ReasonCode } from '../../errors.ts';
import { checkCodeSigningChain, invalidAt, trustAnchor, withRevocationInfo } from './cert-chain.ts';
import { formatDN, isSubsetDN, subjectDN } from './distinguished-name.ts';
import { openEnvelope } from './envelope.ts';
import type { NotationTrustPolicy, Validation } from './trust-policy.ts';

export interface SignatureVerdict {
  /** The signing certificate's subject. */
  signer: string;
  /** Failures of validations the policy only logs. */
  logged: string[];
}

/** Verifies `envelope` (JWS bytes) as a signature of `digest` under `policy` (not a skip one). */
export async function verifyNotationSignature(envelope: Buffer, digest: string, policy: NotationTrustPolicy, now: Date): Promise<SignatureVerdict> {
  const env = await openEnvelope(envelope);
  const chain = checkCodeSigningChain(env.chain);
  if (chain.problem) throw new ImagePolicyError('SIGNATURE_INVALID', chain.problem);
  if (env.target.digest !== digest) throw new ImagePolicyError('SUBJECT_MISMATCH', `the signature is of ${env.target.digest}, not ${digest}`);
  let signer: string;
  try {
    signer = formatDN(subjectDN(chain.leaf!.subject));
  } catch (err) {
    throw new ImagePolicyError('SIGNATURE_INVALID', (err as Error).message);
  }

  const logged: string[] = [];
  const check = (v: Validation, code: ReasonCode, problem: string | undefined) => {
    if (problem === undefined || policy.actions[v] === 'skip') return;
    if (policy.actions[v] === 'enforce') throw new ImagePolicyError(code, problem);
    logged.push(`${v}: ${problem}`);
  };

  // Authenticity: the chain leads to the policy's trust stores of the scheme's type, and the
  // signer is trusted.
  const storeType = env.scheme === 'notary.x509' ? 'ca' : 'signingAuthority';
  const stores = policy.stores.filter((s) => s.type === storeType);
  const anchor = trustAnchor(env.chain, stores.flatMap((s) => s.certificates));
  check('authenticity', 'UNTRUSTED_KEY', anchor ? undefined : `the certificate chain of ${signer} leads to no certificate of the trust stores ${stores.map((s) => `${s.type}:${s.name}`).join(', ') || `(none of type ${storeType})`} of trust policy ${JSON.stringify(policy.name)}`);
  if (policy.identities !== '*') {
    const dn = subjectDN(chain.leaf!.subject);
    const trusted = policy.identities.some((id) => isSubsetDN(id, dn));
    check('authenticity', 'UNTRUSTED_KEY', trusted ? undefined : `signing certificate subject ${JSON.stringify(signer)} matches no trusted identity of trust policy ${JSON.stringify(policy.name)}`);
  }

  check('expiry', 'METADATA_EXPIRED', env.expiry && now >= env.expiry ? `the signature expired at ${env.expiry.toISOString()}` : undefined);

  const at = env.scheme === 'notary.x509' ? now : env.signingTime;
  check('authenticTimestamp', 'METADATA_EXPIRED', invalidAt(env.chain, at));

  if (policy.actions.revocation !== 'skip') {
    const named = withRevocationInfo(env.chain);
    check('revocation', 'UNTRUSTED_KEY', named.length > 0 ? `the revocation status of certificate${named.length === 1 ? '' : 's'} ${named.join(', ')} cannot be determined: CRL and OCSP are not fetched (set the override revocation: skip or log to accept)` : undefined);
  }
  return { signer, logged };
}
