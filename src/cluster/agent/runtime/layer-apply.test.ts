import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync, chownSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyLayer, secureJoin } from './layer-apply.ts';

const isRoot = process.getuid?.() === 0;

function layer(base: string, name: string, build: (dir: string) => void): string {
  const dir = join(base, `${name}-src`);
  mkdirSync(dir, { recursive: true });
  build(dir);
  const file = join(base, `${name}.tar.gz`);
  execFileSync('tar', ['-czf', file, '--numeric-owner', '-C', dir, '.']);
  return file;
}

test('layers apply with whiteouts, opaque directories, and paths kept inside the rootfs', async () => {
  const base = mkdtempSync(join(tmpdir(), 'layer-apply-'));
  const host = join(base, 'host-etc');
  mkdirSync(host);
  try {
    const rootfs = join(base, 'rootfs');
    mkdirSync(rootfs);
    const l1 = layer(base, 'l1', (d) => {
      mkdirSync(join(d, 'a'));
      writeFileSync(join(d, 'a', 'gone'), 'lower');
      writeFileSync(join(d, 'a', 'kept'), 'lower');
      mkdirSync(join(d, 'opq'));
      writeFileSync(join(d, 'opq', 'old'), 'lower');
      mkdirSync(join(d, 'etc'));
      symlinkSync('/bin/busybox', join(d, 'sh'));
      // A symlink that points out of the rootfs, for the next layer to try to write through.
      symlinkSync(host, join(d, 'out'));
      writeFileSync(join(d, 'owned'), 'x');
      if (isRoot) chownSync(join(d, 'owned'), 1234, 4321);
    });
    const l2 = layer(base, 'l2', (d) => {
      mkdirSync(join(d, 'a'));
      writeFileSync(join(d, 'a', '.wh.gone'), '');
      writeFileSync(join(d, 'a', 'new'), 'upper');
      mkdirSync(join(d, 'opq'));
      writeFileSync(join(d, 'opq', '.wh..wh..opq'), '');
      writeFileSync(join(d, 'opq', 'fresh'), 'upper');
      mkdirSync(join(d, 'out'));
      writeFileSync(join(d, 'out', 'evil'), 'upper');
      writeFileSync(join(d, 'out', '.wh.whatever'), '');
    });
    await applyLayer(rootfs, l1, join(base, 'scratch'));
    await applyLayer(rootfs, l2, join(base, 'scratch'));

    assert.deepEqual(readdirSync(join(rootfs, 'a')).sort(), ['kept', 'new']);
    assert.deepEqual(readdirSync(join(rootfs, 'opq')), ['fresh']);
    assert.equal(readlinkSync(join(rootfs, 'sh')), '/bin/busybox', 'absolute symlinks are kept as the image has them');
    assert.equal(lstatSync(join(rootfs, 'out')).isDirectory(), true, 'the upper directory replaced the lower symlink');
    assert.equal(readFileSync(join(rootfs, 'out', 'evil'), 'utf8'), 'upper');
    assert.deepEqual(readdirSync(host), [], 'nothing was written through the symlink');
    assert.equal(existsSync(join(rootfs, 'out', '.wh.whatever')), false, 'whiteout files never land in the rootfs');
    if (isRoot) {
      const st = lstatSync(join(rootfs, 'owned'));
      assert.deepEqual([st.uid, st.gid], [1234, 4321], 'numeric owners preserved');
    }
    assert.equal(existsSync(join(base, 'scratch')), false);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('secureJoin resolves symlinks as if the rootfs were /', async () => {
  const root = mkdtempSync(join(tmpdir(), 'securejoin-'));
  try {
    mkdirSync(join(root, 'real'));
    symlinkSync('/real', join(root, 'abs'));
    symlinkSync('../../../../real', join(root, 'rel'));
    symlinkSync('loop2', join(root, 'loop1'));
    symlinkSync('loop1', join(root, 'loop2'));
    assert.equal(await secureJoin(root, 'abs/f'), join(root, 'real', 'f'));
    assert.equal(await secureJoin(root, 'rel/f'), join(root, 'real', 'f'));
    assert.equal(await secureJoin(root, '../../etc/passwd'), join(root, 'etc', 'passwd'));
    assert.equal(await secureJoin(root, 'abs'), join(root, 'abs'), 'the last component is not followed');
    await assert.rejects(secureJoin(root, 'loop1/x'), /too many symbolic links/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a whiteout naming its own directory or the parent (.wh.., .wh...) is refused, not a removal of the rootfs', async () => {
  const base = mkdtempSync(join(tmpdir(), 'layer-apply-'));
  try {
    for (const [i, name] of ['.wh...', '.wh..', '.wh.', 'a/.wh...'].entries()) {
      const rootfs = join(base, `rootfs-${i}`);
      mkdirSync(rootfs);
      await applyLayer(rootfs, layer(base, `lower-${i}`, (d) => {
        writeFileSync(join(d, 'keep'), 'lower');
        mkdirSync(join(d, 'a'));
        writeFileSync(join(d, 'a', 'keep'), 'lower');
      }), join(base, 'scratch'));
      const upper = layer(base, `upper-${i}`, (d) => {
        mkdirSync(join(d, 'a'));
        writeFileSync(join(d, name), '');
      });
      await assert.rejects(applyLayer(rootfs, upper, join(base, 'scratch')), /invalid whiteout/, name);
      assert.equal(readFileSync(join(rootfs, 'keep'), 'utf8'), 'lower', `${name}: the lower layer's files are still there`);
      assert.equal(readFileSync(join(rootfs, 'a', 'keep'), 'utf8'), 'lower', name);
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
