/**
 * A keyless (Fulcio certificate) authority over an image: among the Sigstore bundles that refer to
 * the image's digest, one must verify under the trusted root, be signed by a trusted identity and
 * be about the digest. A key authority's bundles go the same way with its keys (and no log). Without attestation requirements it must be a signature — a message
 * signature over the digest or cosign's signing statement (predicate type
 * https://sigstore.dev/cosign/sign/v1); with them, as policy-controller, each requirement needs a
 * verified in-toto attestation of its predicate type whose condition holds.
 *
 * Codes: UNSIGNED (no bundle), the bundle's (bundle-verify.ts) when none verifies,
 * ATTESTATION_FAILED (a requirement without a verified attestation, or whose condition is false).
 */
import type { KeyObject } from 'node:crypto';
import { ImagePolicyError, type ReasonCode } from '../../errors.ts';
import { referenceString, type ImageReference } from '../../reference.ts';
import type { LookupOptions, RegistryClient } from '../../registry/client.ts';
import type { CelProgram } from '../../../cel/environment.ts';
import { conditionHolds } from './attestation-condition.ts';
import { verifyBundle, type BundleVerifyResult } from './bundle-verify.ts';
import type { KeylessIdentity } from './identity.ts';
import { fetchImageBundles } from './image-bundles.ts';
import type { SigstoreTrust } from './trusted-root.ts';

export const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';

export interface AttestationRequirement {
  name: string;
  predicateType: string;
  condition?: { text: string; program: CelProgram };
}

export interface KeylessCheck {
  trust: SigstoreTrust;
  identities: readonly KeylessIdentity[];
  attestations: readonly AttestationRequirement[];
  /** A key authority's keys: key bundles verified with them, offline (no log, see bundle-verify.ts). */
  keys?: readonly KeyObject[];
}

/** Most telling first: a copied or mismatched bundle says more than a malformed one. */
const RANK: ReasonCode[] = ['SUBJECT_MISMATCH', 'UNTRUSTED_KEY', 'SIGNATURE_INVALID', 'OVERSIZE'];

export async function verifyKeyless(client: RegistryClient, ref: ImageReference, digest: string, check: KeylessCheck, o: LookupOptions = {}): Promise<{ checks: string[] }> {
  const name = referenceString({ domain: ref.domain, path: ref.path, digest });
  const { bundles, problems } = await fetchImageBundles(client, ref, digest, o);
  if (bundles.length === 0 && problems.length === 0) throw new ImagePolicyError('UNSIGNED', `${name}: no Sigstore bundle refers to the image`);
  const verified: { manifest: string; result: BundleVerifyResult }[] = [];
  for (const b of bundles) {
    try {
      verified.push({ manifest: b.manifest, result: verifyBundle({ bundle: b.json, subject: { digest }, trust: check.trust, identities: check.identities, ...(check.keys && { keys: check.keys, keysWithoutLog: true }) }) });
    } catch (e) {
      if (!(e instanceof ImagePolicyError)) throw e;
      problems.push(new ImagePolicyError(e.code, `bundle ${b.manifest}: ${e.message}`));
    }
  }
  const worst = (): ImagePolicyError | undefined => [...problems].sort((a, b) => RANK.indexOf(a.code) - RANK.indexOf(b.code))[0];
  const signer = (r: BundleVerifyResult) => (r.signer.kind === 'keyless' ? `${r.signer.subject} (${r.signer.issuer})` : `key ${r.signer.keyIndex}`);
  const checks = [`${bundles.length} Sigstore bundle${bundles.length === 1 ? '' : 's'} refer to ${digest}`];

  if (check.attestations.length === 0) {
    const sig = verified.find((v) => v.result.statement === undefined || v.result.statement.predicateType === COSIGN_SIGN_PREDICATE);
    if (sig) return { checks: [...checks, `bundle ${sig.manifest} verifies, signed by ${signer(sig.result)}`] };
    const w = worst();
    if (w) throw new ImagePolicyError(w.code, `${name}: ${w.message}`);
    throw new ImagePolicyError('UNSIGNED', `${name}: the verified bundles are attestations, none is a signature`);
  }

  for (const req of check.attestations) {
    const candidates = verified.filter((v) => v.result.statement?.predicateType === req.predicateType);
    if (candidates.length === 0) {
      const w = worst();
      throw new ImagePolicyError('ATTESTATION_FAILED', `${name}: attestation ${JSON.stringify(req.name)}: no verified attestation of type ${req.predicateType}${w ? ` (${w.code}: ${w.message})` : ''}`);
    }
    if (req.condition) {
      const outcomes = candidates.map((c) => ({ c, r: conditionHolds(req.condition!.program, c.result.statement!) }));
      const pass = outcomes.find((x) => x.r.ok);
      if (!pass) {
        const err = outcomes.find((x) => x.r.error)?.r.error;
        throw new ImagePolicyError('ATTESTATION_FAILED', `${name}: attestation ${JSON.stringify(req.name)}: condition ${JSON.stringify(req.condition.text)} does not hold for the ${candidates.length} verified ${req.predicateType} attestation${candidates.length === 1 ? '' : 's'}${err ? ` (${err})` : ''}`);
      }
      checks.push(`attestation ${req.name}: bundle ${pass.c.manifest} (${req.predicateType}) verifies, signed by ${signer(pass.c.result)}, condition holds`);
    } else {
      checks.push(`attestation ${req.name}: bundle ${candidates[0]!.manifest} (${req.predicateType}) verifies, signed by ${signer(candidates[0]!.result)}`);
    }
  }
  return { checks };
}
