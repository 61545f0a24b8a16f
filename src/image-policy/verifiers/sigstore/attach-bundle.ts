/**
 * Sigstore bundles written to a registry as cosign's `--new-bundle-format` attaches them (a
 * referrer with the bundle's artifactType, attach-referrer.ts), and the key-signed bundle
 * `portcullis image sign --bundle` makes.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import type { ImageReference } from '../../reference.ts';
import type { RegistryClient } from '../../registry/client.ts';
import type { Descriptor } from '../../registry/media-types.ts';
import type { RegistryPusher } from '../../registry/push.ts';
import { attachReferrer } from '../../registry/attach-referrer.ts';
import { signPayload } from '../../oci/cosign-sign.ts';
import { BUNDLE_ARTIFACT_TYPE } from './image-bundles.ts';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest();

/** Pushes the bundle as a referrer of `subject`; returns the referrer manifest's digest. */
export function attachBundle(client: RegistryClient, pusher: RegistryPusher, image: Pick<ImageReference, 'domain' | 'path'>, subject: Descriptor, bundle: unknown, predicateType?: string): Promise<string> {
  return attachReferrer(client, pusher, image, subject, {
    artifactType: BUNDLE_ARTIFACT_TYPE, layerMediaType: BUNDLE_ARTIFACT_TYPE, bytes: Buffer.from(JSON.stringify(bundle)),
    ...(predicateType && { annotations: { 'dev.sigstore.bundle.predicateType': predicateType } }),
  });
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
