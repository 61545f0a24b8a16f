import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage } from '../../../image-policy/oci/build.ts';
import { writeBlob, writeIndex } from '../../../image-policy/oci/layout.ts';
import { OCI_MANIFEST } from '../../../image-policy/registry/media-types.ts';
import { ImageStore } from './image-store.ts';

const isRoot = process.getuid?.() === 0;
const skip = isRoot ? false : process.env.PORTCULLIS_REQUIRE_ALL === '1' ? false : 'skipped: needs root (a small tmpfs for a full disk)';

test('a layer that does not fit on the disk fails the unpack with the write error, not the agent', { skip }, async () => {
  if (!isRoot) throw new Error('needs root (PORTCULLIS_REQUIRE_ALL=1)');
  const base = mkdtempSync(join(tmpdir(), 'image-store-'));
  const store = join(base, 'store');
  mkdirSync(join(store, 'tmp'), { recursive: true });
  try {
    const ctx = join(base, 'ctx');
    mkdirSync(ctx);
    writeFileSync(join(ctx, 'big'), randomBytes(512 * 1024)); // incompressible: the gzip layer is as large
    await buildImage({ contextDir: ctx, outputDir: join(base, 'oci'), refName: 'v1' });
    // The store's temporary directory is a 64 KiB file system: the layer's download runs out of space.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', join(store, 'tmp')]);
    try {
      await assert.rejects(new ImageStore({ root: store }).importLayout(join(base, 'oci'), 'example.com/big:v1'), /ENOSPC|no space left/i);
    } finally {
      execFileSync('umount', [join(store, 'tmp')]);
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('an imported layout is checked as a registry answer is: a layer digest that would name a path is refused before any file is made', async () => {
  const base = mkdtempSync(join(tmpdir(), 'image-store-'));
  try {
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
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
