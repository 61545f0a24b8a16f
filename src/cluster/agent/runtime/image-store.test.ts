import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { buildImage } from '../../../image-policy/oci/build.ts';
import { writeBlob, writeIndex } from '../../../image-policy/oci/layout.ts';
import { OCI_MANIFEST } from '../../../image-policy/registry/media-types.ts';
import { requireRoot } from '../../../../test/helpers/real-parts.ts';
import { withTempDir } from '../../../../test/helpers/temp-dir.ts';
import { ImageStore } from './image-store.ts';

const skip = requireRoot('a small tmpfs for a full disk');

const inTmp = (fn: (base: string) => Promise<void>) => withTempDir('image-store-', fn);

/** Runs fn with the store's temporary directory on a tmpfs of `size`: a small disk to fill. */
async function onSmallDisk(store: string, size: string, fn: () => Promise<void>): Promise<void> {
  mkdirSync(join(store, 'tmp'), { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', join(store, 'tmp')]);
  try {
    await fn();
  } finally {
    execFileSync('umount', [join(store, 'tmp')]);
  }
}

test('a layer that does not fit on the disk fails the unpack with the write error, not the agent', { skip }, async () => {
  await inTmp(async (base) => {
    const store = join(base, 'store');
    const ctx = join(base, 'ctx');
    mkdirSync(ctx);
    writeFileSync(join(ctx, 'big'), randomBytes(512 * 1024)); // incompressible: the gzip layer is as large
    await buildImage({ contextDir: ctx, outputDir: join(base, 'oci'), refName: 'v1' });
    // The store's temporary directory is a 64 KiB file system: the layer's download runs out of space.
    await onSmallDisk(store, '64k', async () => {
      await assert.rejects(new ImageStore({ root: store }).importLayout(join(base, 'oci'), 'example.com/big:v1'), /ENOSPC|no space left/i);
    });
  });
});

test('an imported layout is checked as a registry answer is: a layer digest that would name a path is refused before any file is made', async () => {
  await inTmp(async (base) => {
    const ctx = mkdtempSync(join(base, 'ctx-'));
    writeFileSync(join(ctx, 'f'), 'x');
    const built = await buildImage({ contextDir: ctx, outputDir: join(base, 'oci'), refName: 'v1' });
    const manifest = JSON.parse(readFileSync(join(base, 'oci', 'blobs', 'sha256', built.manifest.digest.slice(7)), 'utf8'));
    manifest.layers[0].digest = 'sha256:../../../../escaped';
    const bytes = Buffer.from(JSON.stringify(manifest));
    writeIndex(join(base, 'oci'), [{ mediaType: OCI_MANIFEST, digest: writeBlob(join(base, 'oci'), bytes), size: bytes.length }]);
    const store = join(base, 'store');
    await assert.rejects(new ImageStore({ root: store }).importLayout(join(base, 'oci'), 'example.com/x:v1'), /malformed manifest: layers\[0\] digest/);
    assert.deepEqual(readdirSync(base).filter((n) => n.startsWith('escaped')), []);
  });
});

/** A layout whose one layer is `size` bytes of zeros: a gzip layer of a few KiB per 64 MiB (a decompression bomb). */
async function zerosLayout(base: string, name: string, size: number): Promise<string> {
  const ctx = join(base, `ctx-${name}`);
  mkdirSync(ctx);
  writeFileSync(join(ctx, 'zeros'), Buffer.alloc(size));
  await buildImage({ contextDir: ctx, outputDir: join(base, name), refName: 'v1' });
  return join(base, name);
}

const leftovers = (store: string) => [...readdirSync(join(store, 'images')).filter((n) => n.endsWith('.partial')), ...readdirSync(join(store, 'tmp'))];

test('a gzip bomb is refused at the uncompressed bound with its reason; an image already stored stays, nothing partial is left', async () => {
  await inTmp(async (base) => {
    const small = await zerosLayout(base, 'small', 64 * 1024);
    const bomb = await zerosLayout(base, 'bomb', 64 * 1024 * 1024);
    const store = join(base, 'store');
    const images = new ImageStore({ root: store, limits: { maxUncompressedBytes: 1024 * 1024 } });
    const kept = await images.importLayout(small, 'example.com/small:v1');
    await assert.rejects(images.importLayout(bomb, 'example.com/bomb:v1'), (err: Error) => {
      assert.match(err.message, /^example\.com\/bomb:v1: the image's layers uncompress to more than 1048576 bytes \(at layer sha256:[0-9a-f]{64}\), this node's limit per image \(portcullis agent --image-max-uncompressed-size\)$/);
      return true;
    });
    assert.deepEqual(leftovers(store), []);
    assert.equal((await images.imageStatus('example.com/bomb:v1')), undefined);
    assert.equal((await images.imageStatus('example.com/small:v1'))?.digest, kept.digest);
    assert.deepEqual(readdirSync(join(kept.rootfs)), ['zeros']);
    // The bound is on the tar (headers and padding included): the small image's 67,072 bytes fit it exactly, not a byte less.
    await new ImageStore({ root: join(base, 'exact'), limits: { maxUncompressedBytes: 67072 } }).importLayout(small, 'example.com/small:v1');
    await assert.rejects(new ImageStore({ root: join(base, 'less'), limits: { maxUncompressedBytes: 67071 } }).importLayout(small, 'example.com/small:v1'), /more than 67071 bytes/);
  });
});

test('the bomb writes nothing past the bound: on a 4 MiB disk a 64 MiB layer stops at the 1 MiB limit, not at ENOSPC', { skip }, async () => {
  await inTmp(async (base) => {
    const store = join(base, 'store');
    const bomb = await zerosLayout(base, 'bomb', 64 * 1024 * 1024);
    await onSmallDisk(store, '4m', async () => {
      await assert.rejects(new ImageStore({ root: store, limits: { maxUncompressedBytes: 1024 * 1024 } }).importLayout(bomb, 'example.com/bomb:v1'), /more than 1048576 bytes/);
      // And without the bound the same layer does run the disk out: the test can tell the two apart.
      await assert.rejects(new ImageStore({ root: store }).importLayout(bomb, 'example.com/bomb:v1'), /ENOSPC|no space left/i);
      assert.deepEqual(leftovers(store), []);
    });
  });
});

test('an image whose layers are declared larger than the bound is refused before any is downloaded (an incompressible layer used to fill the disk first)', async () => {
  await inTmp(async (base) => {
    const ctx = join(base, 'ctx');
    mkdirSync(ctx);
    writeFileSync(join(ctx, 'big'), randomBytes(2 * 1024 * 1024)); // incompressible: the gzip layer is as large
    const built = await buildImage({ contextDir: ctx, outputDir: join(base, 'oci'), refName: 'v1' });
    const manifest = JSON.parse(readFileSync(join(base, 'oci', 'blobs', 'sha256', built.manifest.digest.slice(7)), 'utf8'));
    // The blob is gone: only a pull that never reads it can give the bound's answer.
    rmSync(join(base, 'oci', 'blobs', 'sha256', manifest.layers[0].digest.slice(7)));
    const store = join(base, 'store');
    await assert.rejects(new ImageStore({ root: store, limits: { maxUncompressedBytes: 1024 * 1024 } }).importLayout(join(base, 'oci'), 'example.com/big:v1'), {
      message: `example.com/big:v1: the image's layers take ${manifest.layers[0].size} bytes to download, more than this node's limit of 1048576 bytes per image (portcullis agent --image-max-uncompressed-size)`,
    });
    assert.equal(existsSync(join(store, 'images')), false, 'nothing was made');
  });
});

test('an image of more layers than the limit is refused before any blob is read', async () => {
  await inTmp(async (base) => {
    const oci = await zerosLayout(base, 'oci', 16);
    const index = JSON.parse(readFileSync(join(oci, 'index.json'), 'utf8'));
    const manifest = JSON.parse(readFileSync(join(oci, 'blobs', 'sha256', index.manifests[0].digest.slice(7)), 'utf8'));
    const config = JSON.parse(readFileSync(join(oci, 'blobs', 'sha256', manifest.config.digest.slice(7)), 'utf8'));
    const many = (n: number) => {
      config.rootfs.diff_ids = Array.from({ length: n }, () => config.rootfs.diff_ids[0]);
      const cfg = Buffer.from(JSON.stringify(config));
      const m = { ...manifest, config: { ...manifest.config, digest: writeBlob(oci, cfg), size: cfg.length }, layers: Array.from({ length: n }, () => manifest.layers[0]) };
      const bytes = Buffer.from(JSON.stringify(m));
      writeIndex(oci, [{ mediaType: OCI_MANIFEST, digest: writeBlob(oci, bytes), size: bytes.length }]);
    };
    const store = join(base, 'store');
    many(126);
    await assert.rejects(new ImageStore({ root: store }).importLayout(oci, 'example.com/deep:v1'), {
      message: "example.com/deep:v1: the image has 126 layers, more than this node's limit of 125 layers per image (max depth exceeded; portcullis agent --image-max-layers)",
    });
    assert.equal(existsSync(join(store, 'images')), false, 'nothing was made');
    many(3);
    await assert.rejects(new ImageStore({ root: store, limits: { maxLayers: 2 } }).importLayout(oci, 'example.com/deep:v1'), /has 3 layers, more than this node's limit of 2/);
    // As many as the limit is allowed (the same layer over and over).
    const info = await new ImageStore({ root: store, limits: { maxLayers: 3 } }).importLayout(oci, 'example.com/deep:v1');
    assert.deepEqual(readdirSync(info.rootfs), ['zeros']);
  });
});

test('image limits: a limit that is not a positive integer is refused', () => {
  assert.throws(() => new ImageStore({ root: '/nonexistent', limits: { maxLayers: 0 } }), /maxLayers must be a positive integer, got 0/);
  assert.throws(() => new ImageStore({ root: '/nonexistent', limits: { maxUncompressedBytes: 1.5 } }), /maxUncompressedBytes must be a positive integer/);
});
