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

/** A ustar archive of exactly these entries (GNU tar would not write the hostile ones). */
function rawTar(entries: { name: string; type: '0' | '1' | '2' | '5'; link?: string; data?: string }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const h = Buffer.alloc(512);
    const data = Buffer.from(e.data ?? '');
    const field = (off: number, len: number, v: string) => h.write(v, off, len, 'utf8');
    const octal = (off: number, len: number, n: number) => field(off, len, `${n.toString(8).padStart(len - 1, '0')}\0`);
    field(0, 100, e.name);
    octal(100, 8, e.type === '5' ? 0o755 : 0o644);
    octal(108, 8, 0);
    octal(116, 8, 0);
    octal(124, 12, e.type === '0' ? data.length : 0);
    octal(136, 12, 0);
    field(156, 1, e.type);
    field(157, 100, e.link ?? '');
    field(257, 8, 'ustar\x0000');
    h.fill(' ', 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    field(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  return Buffer.concat([...blocks, Buffer.alloc(1024)]);
}

test('a layer cannot write or hard-link outside the rootfs: symlink then file through it, .., absolute paths, hard links out', async () => {
  const base = mkdtempSync(join(tmpdir(), 'layer-apply-'));
  const outside = join(base, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret'), 'host');
  try {
    const rootfs = join(base, 'rootfs');
    mkdirSync(rootfs);
    const up = '../'.repeat(12);
    const hostile = [
      { name: 'lnk', type: '2', link: outside },
      { name: 'lnk/pwned1', type: '0', data: '1' },
      { name: 'rel', type: '2', link: `${up}${outside.slice(1)}` },
      { name: 'rel/pwned2', type: '0', data: '2' },
      { name: 'b', type: '2', link: outside },
      { name: 'a', type: '2', link: 'b' },
      { name: 'a/pwned3', type: '0', data: '3' },
      { name: `${up}${outside.slice(1)}/pwned4`, type: '0', data: '4' },
      { name: `${outside}/pwned5`, type: '0', data: '5' },
      { name: 'hl1', type: '1', link: join(outside, 'secret') },
      { name: 'hl2', type: '1', link: `${up}${outside.slice(1)}/secret` },
      { name: 's', type: '2', link: outside },
      { name: 'hl3', type: '1', link: 's/secret' },
      { name: 'c', type: '2', link: '.' },
      { name: 'hl4', type: '1', link: `c/${up}${outside.slice(1)}/secret` },
    ] as const;
    const file = join(base, 'hostile.tar');
    writeFileSync(file, rawTar([...hostile]));
    // GNU tar refuses these members (and fails the layer); nothing may land outside either way.
    await applyLayer(rootfs, file, join(base, 'scratch')).catch(() => undefined);
    assert.deepEqual(readdirSync(outside), ['secret'], 'nothing was written next to the host file');
    assert.equal(readFileSync(join(outside, 'secret'), 'utf8'), 'host');
    assert.equal(lstatSync(join(outside, 'secret')).nlink, 1, 'the host file was not hard-linked into the rootfs');
    for (const n of ['hl1', 'hl2', 'hl3', 'hl4']) assert.equal(existsSync(join(rootfs, n)), false, n);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
