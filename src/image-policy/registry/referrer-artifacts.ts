/**
 * Artifacts attached to an image as OCI 1.1 referrers (Sigstore bundles, Notation signatures): a
 * manifest of the artifact type whose `subject` is the image and whose layer is the artifact.
 * Registries without the referrers API are read through the `sha256-<hex>` tag index (the
 * registry client's fallback). Every manifest and layer is fetched by digest and re-hashed; a
 * referrer whose subject is another digest is not this image's, whatever the index said. The
 * manifests are fetched together (one round trip, not one per referrer), layers as each arrives.
 */
import { ImagePolicyError } from '../errors.ts';
import type { ImageReference } from '../reference.ts';
import type { LookupOptions, RegistryClient } from './client.ts';
import type { ImageManifest } from './media-types.ts';

export interface ReferrerArtifactKind {
  artifactType: string;
  /** Which layer of the referrer manifest is the artifact. */
  isLayer: (mediaType: string) => boolean;
  /** How messages name one ("Sigstore bundle", "Notation signature"). */
  what: string;
  /** Referrers looked at per image: a registry cannot make admission verify without end. */
  max: number;
  /** One artifact, and all of one image's together: what one admission check may hold. */
  maxBytes: number;
  maxTotalBytes: number;
}

export interface ReferrerArtifact {
  /** The referrer manifest's digest (how messages name the artifact). */
  manifest: string;
  mediaType: string;
  bytes: Buffer;
}

/**
 * The artifacts of one kind that refer to `digest`, or a problem per referrer that could not be
 * read (one that is not well-formed does not stop the others from being checked).
 */
export async function fetchReferrerArtifacts(client: RegistryClient, ref: Pick<ImageReference, 'domain' | 'path'>, digest: string, kind: ReferrerArtifactKind, o: LookupOptions = {}): Promise<{ artifacts: ReferrerArtifact[]; problems: ImagePolicyError[] }> {
  const repo = { domain: ref.domain, path: ref.path };
  const descriptors = (await client.referrers(repo, digest, kind.artifactType, o)).slice(0, kind.max);
  const manifests = await Promise.all(descriptors.map((d) => client.getManifest({ ...repo, digest: d.digest }, o)));
  const artifacts: ReferrerArtifact[] = [];
  const problems: ImagePolicyError[] = [];
  const layers: { manifest: string; layer: { mediaType: string; digest: string; size: number } }[] = [];
  let total = 0;
  for (const [i, d] of descriptors.entries()) {
    const m = manifests[i]!.json as ImageManifest;
    if (m.subject?.digest !== digest) {
      problems.push(new ImagePolicyError('SUBJECT_MISMATCH', `referrer ${d.digest} is about ${String(m.subject?.digest)}, not ${digest}`));
      continue;
    }
    const layer = (m.layers ?? []).find((l) => typeof l.mediaType === 'string' && kind.isLayer(l.mediaType));
    if (!layer) {
      problems.push(new ImagePolicyError('SIGNATURE_INVALID', `referrer ${d.digest} has no ${kind.what} layer`));
      continue;
    }
    if (!(layer.size >= 0 && layer.size <= kind.maxBytes)) {
      problems.push(new ImagePolicyError('OVERSIZE', `${kind.what} ${layer.digest} is ${layer.size} bytes, more than ${kind.maxBytes}`));
      continue;
    }
    if (total + layer.size > kind.maxTotalBytes) {
      problems.push(new ImagePolicyError('OVERSIZE', `the ${kind.what}s of ${digest} are more than ${kind.maxTotalBytes} bytes together; ${d.digest} and later ones are not read`));
      break;
    }
    total += layer.size;
    layers.push({ manifest: d.digest, layer });
  }
  const blobs = await Promise.all(layers.map(({ layer }) => client.getBlob(repo, layer, o)));
  layers.forEach(({ manifest, layer }, i) => artifacts.push({ manifest, mediaType: layer.mediaType, bytes: blobs[i]! }));
  return { artifacts, problems };
}
