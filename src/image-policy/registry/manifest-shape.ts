/**
 * The shape a manifest or index must have before anything reads it: registries are not trusted
 * to send well-formed documents, and descriptor digests end up in request paths and file names.
 */
import { ImagePolicyError } from '../errors.ts';
import { parseDigest } from '../reference.ts';
import { isIndex, type Descriptor, type ImageIndex, type ImageManifest } from './media-types.ts';

function checkDescriptor(d: unknown, where: string, what: string): void {
  const desc = d as Partial<Descriptor> | null;
  const bad = (why: string) => new ImagePolicyError('IMAGE_NOT_FOUND', `${what}: malformed manifest: ${where} ${why}`);
  if (typeof desc !== 'object' || desc === null) throw bad('is not a descriptor');
  if (typeof desc.mediaType !== 'string' || desc.mediaType === '') throw bad('has no mediaType');
  if (typeof desc.digest !== 'string') throw bad('has no digest');
  try {
    parseDigest(desc.digest);
  } catch (err) {
    throw bad(`digest ${JSON.stringify(desc.digest)}: ${(err as Error).message}`);
  }
  if (!Number.isSafeInteger(desc.size) || (desc.size as number) < 0) throw bad(`size ${JSON.stringify(desc.size)} is not a byte count`);
}

/** Throws IMAGE_NOT_FOUND ("malformed manifest") unless the document has its type's shape. */
export function checkManifestShape(doc: unknown, mediaType: string, what: string): asserts doc is ImageManifest | ImageIndex {
  const m = doc as Partial<ImageManifest & ImageIndex> | null;
  if (typeof m !== 'object' || m === null || m.schemaVersion !== 2) {
    throw new ImagePolicyError('IMAGE_NOT_FOUND', `${what}: malformed manifest: schemaVersion must be 2`);
  }
  if (isIndex(mediaType)) {
    if (!Array.isArray(m.manifests)) throw new ImagePolicyError('IMAGE_NOT_FOUND', `${what}: malformed manifest: an index without manifests`);
    m.manifests.forEach((d, i) => checkDescriptor(d, `manifests[${i}]`, what));
    return;
  }
  checkDescriptor(m.config, 'config', what);
  if (!Array.isArray(m.layers)) throw new ImagePolicyError('IMAGE_NOT_FOUND', `${what}: malformed manifest: no layers`);
  m.layers.forEach((d, i) => checkDescriptor(d, `layers[${i}]`, what));
  if (m.subject !== undefined) checkDescriptor(m.subject, 'subject', what);
}
