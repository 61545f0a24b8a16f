/**
 * A downloaded (digest-verified) layer turned into its plain tar, hashed against the image
 * config's diff ID as containerd's unpacker checks it, and the node's bounds on what an image may
 * take: at most `maxLayers` layers, and at most `maxUncompressedBytes` of uncompressed tar over
 * all of its layers. A gzip or zstd layer of a few kilobytes can expand to fill the disk (a
 * decompression bomb); the count is taken as the bytes leave the decompressor, and the write
 * stops before the first byte past the bound.
 *
 * Neither the kubelet nor containerd bounds these; the defaults are Docker's layer limit
 * (layer/layer_store.go maxLayerDepth = 125: "the 127 max in some graphdrivers plus the 2
 * additional layers used to create a rwlayer") and 32 GiB, above the largest public images in
 * common use (CUDA/ML framework images are 10-25 GB uncompressed).
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createZstdDecompress } from 'node:zlib';

export interface ImageLimits {
  /** Layers per image (Docker's maxLayerDepth, 125). */
  maxLayers: number;
  /** Uncompressed tar bytes over all of an image's layers (32 GiB). */
  maxUncompressedBytes: number;
}

export const DEFAULT_IMAGE_LIMITS: Readonly<ImageLimits> = Object.freeze({ maxLayers: 125, maxUncompressedBytes: 32 * 1024 ** 3 });

/** The limits with defaults filled in; a limit that is not a positive integer is refused. */
export function imageLimits(o: Partial<ImageLimits> = {}): ImageLimits {
  const l = { ...DEFAULT_IMAGE_LIMITS, ...o };
  for (const [name, v] of Object.entries(l)) {
    if (!Number.isSafeInteger(v) || v <= 0) throw new Error(`image limits: ${name} must be a positive integer, got ${v}`);
  }
  return l;
}

/** The layer-count bound, checked before anything is downloaded. */
export function checkLayerCount(ref: string, layers: number, limits: ImageLimits): void {
  if (layers > limits.maxLayers) {
    throw new Error(`${ref}: the image has ${layers} layers, more than this node's limit of ${limits.maxLayers} layers per image (max depth exceeded; portcullis agent --image-max-layers)`);
  }
}

/**
 * The size bound on what is downloaded, checked before anything is: the layers' compressed sizes as
 * the manifest declares them (the registry client stops a blob at its declared size). Each layer is
 * written whole to the node's disk before it is decompressed, so the uncompressed count alone came
 * too late for a large layer: a 100 GiB plain `tar` layer, or incompressible gzip, filled the disk
 * (and, through DiskPressure, had other pods evicted) before the bound saw a byte. A layer's
 * compressed size is at most about its uncompressed size, so an image within the bound passes.
 */
export function checkDeclaredSize(ref: string, layers: readonly { size: number }[], limits: ImageLimits): void {
  let total = 0;
  for (const l of layers) total += l.size;
  if (total > limits.maxUncompressedBytes) {
    throw new Error(`${ref}: the image's layers take ${total} bytes to download, more than this node's limit of ${limits.maxUncompressedBytes} bytes per image (portcullis agent --image-max-uncompressed-size)`);
  }
}

/** Layer media types by compression (OCI and Docker, distributable or not). */
function decompressorFor(mediaType: string): Transform | undefined {
  if (/\.tar$|\.tar\.nondistributable\.v1$|^application\/vnd\.oci\.image\.layer\.(nondistributable\.)?v1\.tar$/.test(mediaType)) return undefined;
  if (/(\+gzip|\.tar\.gzip)$/.test(mediaType)) return createGunzip();
  if (/\+zstd$/.test(mediaType)) return createZstdDecompress();
  throw new Error(`unsupported layer media type ${JSON.stringify(mediaType)}`);
}

/** How much of an image's uncompressed budget its layers have used so far (one per unpack). */
export class UncompressedBudget {
  used = 0;
  readonly ref: string;
  readonly limit: number;
  constructor(ref: string, limit: number) {
    this.ref = ref;
    this.limit = limit;
  }

  error(layer: string): Error {
    return new Error(
      `${this.ref}: the image's layers uncompress to more than ${this.limit} bytes (at layer ${layer}), this node's limit per image (portcullis agent --image-max-uncompressed-size)`,
    );
  }
}

/**
 * Writes the plain tar of a verified layer to `out`, failing when it does not hash to `diffId` or
 * when it takes the image past its uncompressed budget (nothing past the bound is written).
 */
export async function decompressVerified(file: string, mediaType: string, out: string, diffId: string, budget: UncompressedBudget, layer: string): Promise<void> {
  const alg = diffId.slice(0, diffId.indexOf(':'));
  if (alg !== 'sha256' && alg !== 'sha512') throw new Error(`invalid diff ID ${JSON.stringify(diffId)}`);
  const hash = createHash(alg);
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (budget.used + chunk.length > budget.limit) {
        cb(budget.error(layer));
        return;
      }
      budget.used += chunk.length;
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  const dec = decompressorFor(mediaType);
  await pipeline([createReadStream(file), ...(dec ? [dec] : []), tap, createWriteStream(out)]);
  const got = `${alg}:${hash.digest('hex')}`;
  if (got !== diffId) throw new Error(`layer diff ID mismatch: the uncompressed layer hashes to ${got}, the image config says ${diffId}`);
}
