/**
 * Sigstore bundles written to a registry as cosign's `--new-bundle-format` attaches them: a
 * manifest with the bundle's artifactType, an empty config, the bundle as its one layer and the
 * image as `subject`, pushed by digest; and, for registries without the referrers API, listed in
 * the `sha256-<hex>` tag index (written whatever the registry supports: the readers fall back to
 * it). Also the key-signed bundle `portcullis image sign --bundle` makes.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { isImagePolicyError } from '../../errors.ts';
import type { ImageReference } from '../../reference.ts';
import type { RegistryClient } from '../../registry/client.ts';
import { OCI_EMPTY, OCI_INDEX, OCI_MANIFEST, type Descriptor, type ImageIndex } from '../../registry/media-types.ts';
import { bufferSource, type RegistryPusher } from '../../registry/push.ts';
import { signPayload } from '../../oci/cosign-sign.ts';
import { BUNDLE_ARTIFACT_TYPE } from './image-bundles.ts';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest();
const digestOf = (b: Buffer) => `sha256:${sha256(b).toString('hex')}`;

/** Pushes the bundle as a referrer of `subject`; returns the referrer manifest's digest. */
export async function attachBundle(client: RegistryClient, pusher: RegistryPusher, image: Pick<ImageReference, 'domain' | 'path'>, subject: Descriptor, bundle: unknown, predicateType?: string): Promise<string> {
  const repo = { domain: image.domain, path: image.path }; // never the image's tag: the referrer is pushed by digest
  const bytes = Buffer.from(JSON.stringify(bundle));
  const layer = { mediaType: BUNDLE_ARTIFACT_TYPE, digest: digestOf(bytes), size: bytes.length };
  const empty = Buffer.from('{}');
  const config = { mediaType: OCI_EMPTY, digest: digestOf(empty), size: empty.length };
  await pusher.pushBlob(repo, layer, bufferSource(bytes));
  await pusher.pushBlob(repo, config, bufferSource(empty));
  const annotations = predicateType ? { 'dev.sigstore.bundle.predicateType': predicateType } : undefined;
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: BUNDLE_ARTIFACT_TYPE, config, layers: [layer], subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size }, ...(annotations && { annotations }) }));
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
    index.manifests.push({ mediaType: OCI_MANIFEST, digest, size: manifest.length, artifactType: BUNDLE_ARTIFACT_TYPE, ...(annotations && { annotations }) });
    await pusher.pushManifest({ ...repo, tag }, OCI_INDEX, Buffer.from(JSON.stringify(index)));
  }
  return digest;
}

/**
 * A key-signed bundle over `artifact` (an image's manifest bytes), with no log entry (as cosign
 * sign --key --tlog-upload=false). Ed25519 is refused: its signature covers the bytes, and images
 * are verified from their digest.
 */
export function keyBundle(key: KeyObject, artifact: Buffer): unknown {
  if (key.asymmetricKeyType === 'ed25519') throw new Error('Ed25519 keys cannot sign a bundle that is checked from the image digest: use ECDSA or RSA');
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { publicKey: { hint: sha256(spki).toString('base64') }, tlogEntries: [] },
    messageSignature: { messageDigest: { algorithm: 'SHA2_256', digest: sha256(artifact).toString('base64') }, signature: signPayload(key, artifact).toString('base64') },
  };
}
