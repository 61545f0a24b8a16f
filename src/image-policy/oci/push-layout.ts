/**
 * `portcullis image push LAYOUT REF`: the image of an OCI layout (the manifest whose ref name is
 * the given one, or the only one) uploaded blob by blob, then its manifest under REF's tag.
 */
import { ImagePolicyError } from '../errors.ts';
import type { ImageReference } from '../reference.ts';
import { isImageManifest, type ImageManifest } from '../registry/media-types.ts';
import type { RegistryPusher } from '../registry/push.ts';
import { REF_NAME_ANNOTATION, blobSource, readBlob, readIndex } from './layout.ts';

export interface PushedImage {
  digest: string;
  blobs: { digest: string; outcome: 'exists' | 'mounted' | 'uploaded' }[];
}

export async function pushLayout(pusher: RegistryPusher, layoutDir: string, ref: ImageReference, refName?: string, mountFrom?: string): Promise<PushedImage> {
  const index = readIndex(layoutDir);
  const candidates = refName === undefined ? index.manifests : index.manifests.filter((m) => m.annotations?.[REF_NAME_ANNOTATION] === refName);
  if (candidates.length !== 1) {
    throw new Error(`${layoutDir}: ${candidates.length === 0 ? 'no' : 'more than one'} manifest${refName !== undefined ? ` named ${JSON.stringify(refName)}` : ''} in index.json`);
  }
  const desc = candidates[0]!;
  if (!isImageManifest(desc.mediaType)) throw new Error(`${layoutDir}: ${desc.mediaType} manifests are not pushed (image manifests only)`);
  const bytes = readBlob(layoutDir, desc);
  const manifest = JSON.parse(bytes.toString('utf8')) as ImageManifest;
  const blobs: PushedImage['blobs'] = [];
  for (const b of [manifest.config, ...manifest.layers]) {
    const outcome = await pusher.pushBlob(ref, b, blobSource(layoutDir, b), mountFrom);
    blobs.push({ digest: b.digest, outcome });
  }
  const digest = await pusher.pushManifest(ref, desc.mediaType, bytes);
  if (digest !== desc.digest) throw new ImagePolicyError('DIGEST_MISMATCH', `${layoutDir}: manifest hashes to ${digest}, index.json says ${desc.digest}`);
  return { digest, blobs };
}
