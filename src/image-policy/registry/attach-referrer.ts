/**
 * An artifact written to a registry as an OCI 1.1 referrer of an image, as cosign
 * (`--new-bundle-format`) and notation attach theirs: a manifest with the artifact's type, an
 * empty config, the artifact as its one layer and the image as `subject`, pushed by digest; and,
 * for registries without the referrers API, listed in the `sha256-<hex>` tag index (written
 * whatever the registry supports: the readers fall back to it).
 */
import { createHash } from 'node:crypto';
import { isImagePolicyError } from '../errors.ts';
import type { ImageReference } from '../reference.ts';
import type { RegistryClient } from './client.ts';
import { OCI_EMPTY, OCI_INDEX, OCI_MANIFEST, type Descriptor, type ImageIndex } from './media-types.ts';
import { bufferSource, type RegistryPusher } from './push.ts';

const digestOf = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export interface ReferrerArtifactInput {
  artifactType: string;
  layerMediaType: string;
  bytes: Buffer;
  /** Annotations of the referrer manifest (and of its entry in the tag index). */
  annotations?: Record<string, string>;
}

/** Pushes the artifact as a referrer of `subject`; returns the referrer manifest's digest. */
export async function attachReferrer(client: RegistryClient, pusher: RegistryPusher, image: Pick<ImageReference, 'domain' | 'path'>, subject: Descriptor, a: ReferrerArtifactInput): Promise<string> {
  const repo = { domain: image.domain, path: image.path }; // never the image's tag: the referrer is pushed by digest
  const layer = { mediaType: a.layerMediaType, digest: digestOf(a.bytes), size: a.bytes.length };
  const empty = Buffer.from('{}');
  const config = { mediaType: OCI_EMPTY, digest: digestOf(empty), size: empty.length };
  await pusher.pushBlob(repo, layer, bufferSource(a.bytes));
  await pusher.pushBlob(repo, config, bufferSource(empty));
  const annotations = a.annotations && Object.keys(a.annotations).length > 0 ? a.annotations : undefined;
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: a.artifactType, config, layers: [layer], subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size }, ...(annotations && { annotations }) }));
  const digest = digestOf(manifest);
  await pusher.pushManifest({ ...repo, digest }, OCI_MANIFEST, manifest);

  const tag = subject.digest.replace(':', '-');
  let index: ImageIndex = { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] };
  try {
    index = (await client.getManifest({ ...repo, tag })).json as ImageIndex;
  } catch (err) {
    if (!isImagePolicyError(err, 'IMAGE_NOT_FOUND')) throw err;
  }
  if (!index.manifests.some((m) => m.digest === digest)) {
    index.manifests.push({ mediaType: OCI_MANIFEST, digest, size: manifest.length, artifactType: a.artifactType, ...(annotations && { annotations }) });
    await pusher.pushManifest({ ...repo, tag }, OCI_INDEX, Buffer.from(JSON.stringify(index)));
  }
  return digest;
}
