/**
 * A `notation` authority over an image: the trust policy for the image's repository is picked
 * (none: UNTRUSTED_KEY, the specification's "untrusted"; skip: vouched without a look), then the
 * Notation signatures that refer to the image's digest (OCI 1.1 referrers with artifactType
 * application/vnd.cncf.notary.signature, the `sha256-<hex>` tag index on older registries) are
 * verified in turn until one passes. Codes: UNSIGNED (none), else the most telling failure.
 */
import { ImagePolicyError, type ReasonCode } from '../../errors.ts';
import { referenceName, referenceString, type ImageReference } from '../../reference.ts';
import type { LookupOptions, RegistryClient } from '../../registry/client.ts';
import { fetchReferrerArtifacts } from '../../registry/referrer-artifacts.ts';
import { JWS_MEDIA_TYPE, NOTATION_ARTIFACT_TYPE } from './envelope.ts';
import { selectTrustPolicy, type CompiledNotation } from './trust-policy.ts';
import { verifyNotationSignature } from './verify-signature.ts';

/** Signatures looked at per image, and their sizes (a JWS with a chain is a few KiB). */
export const MAX_SIGNATURES = 32;
export const MAX_SIGNATURE_BYTES = 256 * 1024;

const RANK: ReasonCode[] = ['SUBJECT_MISMATCH', 'UNTRUSTED_KEY', 'METADATA_EXPIRED', 'SIGNATURE_INVALID', 'OVERSIZE'];

export async function verifyNotation(client: RegistryClient, ref: ImageReference, digest: string, n: CompiledNotation, now: Date, o: LookupOptions = {}): Promise<{ checks: string[]; logged: string[] }> {
  const repository = referenceName(ref);
  const name = referenceString({ domain: ref.domain, path: ref.path, digest });
  const policy = selectTrustPolicy(n, repository);
  if (!policy) throw new ImagePolicyError('UNTRUSTED_KEY', `${name}: no Notation trust policy applies to ${repository}`);
  if (policy.level === 'skip') return { checks: [`trust policy ${JSON.stringify(policy.name)} skips verification of ${repository}`], logged: [] };

  const { artifacts, problems } = await fetchReferrerArtifacts(client, ref, digest, {
    artifactType: NOTATION_ARTIFACT_TYPE, isLayer: (t) => t === JWS_MEDIA_TYPE || t === 'application/cose', what: 'Notation signature',
    max: MAX_SIGNATURES, maxBytes: MAX_SIGNATURE_BYTES, maxTotalBytes: MAX_SIGNATURES * MAX_SIGNATURE_BYTES,
  }, o);
  if (artifacts.length === 0 && problems.length === 0) throw new ImagePolicyError('UNSIGNED', `${name}: no Notation signature refers to the image`);
  for (const a of artifacts) {
    if (a.mediaType !== JWS_MEDIA_TYPE) {
      problems.push(new ImagePolicyError('SIGNATURE_INVALID', `signature ${a.manifest}: ${a.mediaType} envelopes are not supported (JWS only)`));
      continue;
    }
    try {
      const v = await verifyNotationSignature(a.bytes, digest, policy, now);
      return {
        checks: [`${artifacts.length} Notation signature${artifacts.length === 1 ? ' refers' : 's refer'} to ${digest}`, `signature ${a.manifest} verifies under trust policy ${JSON.stringify(policy.name)} (${policy.level}), signed by ${v.signer}`],
        logged: v.logged.map((l) => `signature ${a.manifest}: ${l}`),
      };
    } catch (e) {
      if (!(e instanceof ImagePolicyError)) throw e;
      problems.push(new ImagePolicyError(e.code, `signature ${a.manifest}: ${e.message}`));
    }
  }
  const worst = [...problems].sort((a, b) => RANK.indexOf(a.code) - RANK.indexOf(b.code))[0]!;
  throw new ImagePolicyError(worst.code, `${name}: ${worst.message}`);
}
