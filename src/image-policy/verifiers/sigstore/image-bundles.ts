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
import type { ImageManifest } from '../../registry/media-types.ts';

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
  const repo = { domain: ref.domain, path: ref.path };
  const descriptors = (await client.referrers(repo, digest, BUNDLE_ARTIFACT_TYPE, o)).slice(0, MAX_BUNDLES);
  const bundles: ImageBundle[] = [];
  const problems: ImagePolicyError[] = [];
  let total = 0;
  for (const d of descriptors) {
    const m = (await client.getManifest({ ...repo, digest: d.digest }, o)).json as ImageManifest;
    if (m.subject?.digest !== digest) {
      problems.push(new ImagePolicyError('SUBJECT_MISMATCH', `referrer ${d.digest} is about ${String(m.subject?.digest)}, not ${digest}`));
      continue;
    }
    const layer = (m.layers ?? []).find((l) => typeof l.mediaType === 'string' && l.mediaType.startsWith(BUNDLE_MEDIA_TYPE_PREFIX));
    if (!layer) {
      problems.push(new ImagePolicyError('SIGNATURE_INVALID', `referrer ${d.digest} has no Sigstore bundle layer`));
      continue;
    }
    if (!(layer.size >= 0 && layer.size <= MAX_BUNDLE_BYTES)) {
      problems.push(new ImagePolicyError('OVERSIZE', `bundle ${layer.digest} is ${layer.size} bytes, more than ${MAX_BUNDLE_BYTES}`));
      continue;
    }
    if (total + layer.size > MAX_TOTAL_BUNDLE_BYTES) {
      problems.push(new ImagePolicyError('OVERSIZE', `the bundles of ${digest} are more than ${MAX_TOTAL_BUNDLE_BYTES} bytes together; ${d.digest} and later ones are not read`));
      break;
    }
    total += layer.size;
    const bytes = await client.getBlob(repo, layer, o);
    try {
      bundles.push({ manifest: d.digest, json: JSON.parse(bytes.toString('utf8')) });
    } catch {
      problems.push(new ImagePolicyError('SIGNATURE_INVALID', `bundle ${layer.digest} is not JSON`));
    }
  }
  return { bundles, problems };
}
