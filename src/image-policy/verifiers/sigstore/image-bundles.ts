/**
 * The Sigstore bundles attached to an image as OCI 1.1 referrers, as cosign attaches them
 * (`cosign sign/attest --new-bundle-format`): a manifest whose artifactType is the bundle media
 * type, whose subject is the image, and whose one layer is the bundle's JSON. Registries without
 * the referrers API are read through the `sha256-<hex>` tag index (the registry client's
 * fallback). Every manifest and bundle is fetched by digest and re-hashed; a referrer whose
 * subject is another digest is not this image's, whatever the index said.
 */
import { ImagePolicyError } from '../../errors.ts';
import type { ImageReference } from '../../reference.ts';
import type { LookupOptions, RegistryClient } from '../../registry/client.ts';
import { fetchReferrerArtifacts } from '../../registry/referrer-artifacts.ts';

export const BUNDLE_ARTIFACT_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const BUNDLE_MEDIA_TYPE_PREFIX = 'application/vnd.dev.sigstore.bundle';
/** Referrers looked at per image: a registry cannot make admission verify without end. */
export const MAX_BUNDLES = 32;
/** A bundle is a few KiB; attestations with an SBOM predicate can be larger, not this large. */
export const MAX_BUNDLE_BYTES = 4 * 1024 * 1024;
/** All bundles of one image together: what one admission check may hold in memory. */
export const MAX_TOTAL_BUNDLE_BYTES = 16 * 1024 * 1024;

export interface ImageBundle {
  /** The referrer manifest's digest (how messages name the bundle). */
  manifest: string;
  json: unknown;
}

/**
 * Bundles that refer to `digest`, or a problem per referrer that could not be read (a referrer
 * that is not a well-formed bundle does not stop the others from being checked).
 */
export async function fetchImageBundles(client: RegistryClient, ref: ImageReference, digest: string, o: LookupOptions = {}): Promise<{ bundles: ImageBundle[]; problems: ImagePolicyError[] }> {
  const { artifacts, problems } = await fetchReferrerArtifacts(client, ref, digest, {
    artifactType: BUNDLE_ARTIFACT_TYPE, isLayer: (t) => t.startsWith(BUNDLE_MEDIA_TYPE_PREFIX), what: 'Sigstore bundle',
    max: MAX_BUNDLES, maxBytes: MAX_BUNDLE_BYTES, maxTotalBytes: MAX_TOTAL_BUNDLE_BYTES,
  }, o);
  const bundles: ImageBundle[] = [];
  for (const a of artifacts) {
    try {
      bundles.push({ manifest: a.manifest, json: JSON.parse(a.bytes.toString('utf8')) });
    } catch {
      problems.push(new ImagePolicyError('SIGNATURE_INVALID', `bundle ${a.manifest} is not JSON`));
    }
  }
  return { bundles, problems };
}
