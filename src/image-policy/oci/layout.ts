/**
 * OCI image layout directories (image-spec image-layout.md): `oci-layout`, `index.json` and
 * content-addressed `blobs/<alg>/<hex>`. What `portcullis image build` writes and `push` reads;
 * every blob read back is checked against its name.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDigest } from '../reference.ts';
import { sha256Digest, verifyDigest } from '../registry/digest.ts';
import { OCI_INDEX, type Descriptor, type ImageIndex } from '../registry/media-types.ts';
import type { BlobSource } from '../registry/push.ts';

export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

export function blobPath(dir: string, digest: string): string {
  parseDigest(digest);
  const [alg, hex] = digest.split(':') as [string, string];
  return join(dir, 'blobs', alg, hex);
}

/** Writes bytes as a blob (atomically) and returns its sha256 digest. */
export function writeBlob(dir: string, bytes: Buffer | string): string {
  const digest = sha256Digest(bytes);
  const path = blobPath(dir, digest);
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(`${path}.tmp`, bytes);
  renameSync(`${path}.tmp`, path);
  return digest;
}

/** Starts a layout (idempotent) and writes index.json naming the given manifests. */
export function writeIndex(dir: string, manifests: Descriptor[]): void {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const index: ImageIndex = { schemaVersion: 2, mediaType: OCI_INDEX, manifests };
  writeFileSync(join(dir, 'index.json'), JSON.stringify(index, null, 2));
}

export function readIndex(dir: string): ImageIndex {
  let layout: { imageLayoutVersion?: unknown };
  try {
    layout = JSON.parse(readFileSync(join(dir, 'oci-layout'), 'utf8')) as typeof layout;
  } catch (err) {
    throw new Error(`${dir} is not an OCI image layout: ${(err as Error).message}`);
  }
  if (layout.imageLayoutVersion !== '1.0.0') throw new Error(`${dir}: unsupported imageLayoutVersion ${JSON.stringify(layout.imageLayoutVersion)}`);
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as ImageIndex;
  if (index.schemaVersion !== 2 || !Array.isArray(index.manifests)) throw new Error(`${dir}/index.json is not an OCI image index`);
  return index;
}

/** A small blob read whole and verified. */
export function readBlob(dir: string, desc: Pick<Descriptor, 'digest'>): Buffer {
  const bytes = readFileSync(blobPath(dir, desc.digest));
  verifyDigest(bytes, desc.digest, `${dir} blob`);
  return bytes;
}

/** A blob to upload, read from its file a piece at a time (the registry re-hashes it). */
export function blobSource(dir: string, desc: Pick<Descriptor, 'digest' | 'size'>): BlobSource {
  const path = blobPath(dir, desc.digest);
  return {
    size: desc.size,
    async read(offset, length) {
      const fh = await open(path, 'r');
      try {
        const buf = Buffer.alloc(length);
        const { bytesRead } = await fh.read(buf, 0, length, offset);
        if (bytesRead !== length) throw new Error(`${path}: short read (${bytesRead} of ${length} bytes at ${offset})`);
        return buf;
      } finally {
        await fh.close();
      }
    },
  };
}
