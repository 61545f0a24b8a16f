/**
 * `portcullis image sign REF --key FILE`: cosign's legacy (tag-based) signature with a local key.
 * The image is pinned to its digest first (a tag is resolved once); the signature image at
 * `sha256-<hex>.sig` gains one layer per signature, as cosign appends rather than replaces.
 */
import { sign, type KeyObject } from 'node:crypto';
import { isImagePolicyError } from '../errors.ts';
import type { ImageReference } from '../reference.ts';
import type { RegistryClient } from '../registry/client.ts';
import { sha256Digest } from '../registry/digest.ts';
import { OCI_CONFIG, OCI_MANIFEST, type Descriptor, type ImageManifest } from '../registry/media-types.ts';
import { bufferSource, type RegistryPusher } from '../registry/push.ts';
import { SIGNATURE_ANNOTATION, SIMPLE_SIGNING_MEDIA_TYPE, signatureTag, simpleSigningPayload } from './cosign-payload.ts';

export interface SignResult {
  digest: string;
  signatureTag: string;
  signatureManifestDigest: string;
  payload: Buffer;
  signature: string;
}

/** Signs as sigstore's default signers do: SHA-256 for ECDSA and RSA (PKCS#1 v1.5), pure Ed25519. */
export function signPayload(key: KeyObject, payload: Buffer): Buffer {
  const type = key.asymmetricKeyType;
  if (type === 'ed25519') return sign(null, payload, key);
  if (type === 'ec' || type === 'rsa') return sign('sha256', payload, key);
  throw new Error(`unsupported signing key type ${JSON.stringify(type)} (ECDSA, RSA or Ed25519)`);
}

/** go-containerregistry's config for the layers of an image built on empty.Image. */
function signatureConfig(layers: Descriptor[]): Buffer {
  const zero = '0001-01-01T00:00:00Z';
  return Buffer.from(JSON.stringify({
    architecture: '',
    created: zero,
    history: layers.map(() => ({ created: zero })),
    os: '',
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
    config: {},
  }));
}

export async function signImage(client: RegistryClient, pusher: RegistryPusher, ref: ImageReference, key: KeyObject, annotations?: Record<string, unknown>): Promise<SignResult> {
  const digest = ref.digest ?? (await client.resolve(ref)).digest;
  const payload = simpleSigningPayload(ref, digest, annotations);
  const signature = signPayload(key, payload).toString('base64');
  const tag = signatureTag(digest);
  const sigRef: ImageReference = { domain: ref.domain, path: ref.path, tag };

  let layers: Descriptor[] = [];
  try {
    const existing = await client.getManifest(sigRef);
    layers = (existing.json as ImageManifest).layers ?? [];
  } catch (err) {
    if (!isImagePolicyError(err, 'IMAGE_NOT_FOUND')) throw err;
  }
  const layer: Descriptor = { mediaType: SIMPLE_SIGNING_MEDIA_TYPE, size: payload.length, digest: sha256Digest(payload), annotations: { [SIGNATURE_ANNOTATION]: signature } };
  const duplicate = layers.some((l) => l.digest === layer.digest && l.annotations?.[SIGNATURE_ANNOTATION] === signature);
  if (!duplicate) layers = [...layers, layer];

  await pusher.pushBlob(sigRef, layer, bufferSource(payload));
  const configBytes = signatureConfig(layers);
  const config: Descriptor = { mediaType: OCI_CONFIG, size: configBytes.length, digest: sha256Digest(configBytes) };
  await pusher.pushBlob(sigRef, config, bufferSource(configBytes));
  const manifest: ImageManifest = { schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers };
  const signatureManifestDigest = await pusher.pushManifest(sigRef, OCI_MANIFEST, Buffer.from(JSON.stringify(manifest)));
  return { digest, signatureTag: tag, signatureManifestDigest, payload, signature };
}
