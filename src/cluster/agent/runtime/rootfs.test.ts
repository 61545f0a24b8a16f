import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Launcher } from './launcher.ts';
import { isMounted, prepareRootfs, releaseRootfs } from './rootfs.ts';

const launcher = new Launcher();

test('the rootfs is prepared and the FIFOs made (mode 0600) by one process', async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'rootfs-test-'));
  t.after(async () => {
    await releaseRootfs(join(work, 'c')).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  });
  const lower = join(work, 'image');
  await mkdir(join(lower, 'etc'), { recursive: true });
  await writeFile(join(lower, 'etc', 'hostname'), 'image\n');
  const dir = join(work, 'c');
  await mkdir(dir);
  const fifos = [join(dir, 'stdout'), join(dir, 'stderr')];
  const { path, kind } = await prepareRootfs(launcher, lower, dir, fifos);
  assert.equal(path, join(dir, 'bundle', 'rootfs'));
  // Overlay as root; a copy where mounting is not allowed.
  assert.ok(kind === 'overlay' || kind === 'copy');
  assert.equal(await readFile(join(path, 'etc', 'hostname'), 'utf8'), 'image\n');
  for (const f of fifos) {
    const st = await stat(f);
    assert.ok(st.isFIFO(), `${f} is a FIFO`);
    assert.equal(st.mode & 0o777, 0o600);
  }
});

test('a FIFO that cannot be made fails the preparation with its error', async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'rootfs-test-'));
  t.after(async () => {
    await releaseRootfs(join(work, 'c')).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  });
  const lower = join(work, 'image');
  await mkdir(lower, { recursive: true });
  await mkdir(join(work, 'c'));
  await assert.rejects(prepareRootfs(launcher, lower, join(work, 'c'), [join(work, 'missing', 'stdout')]), /preparing the rootfs from .*mkfifo/);
});

test('release unmounts an overlay rootfs (told by its device, not the mount table), then is a no-op', async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'rootfs-test-'));
  t.after(async () => {
    await releaseRootfs(join(work, 'c')).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  });
  const lower = join(work, 'image');
  await mkdir(lower, { recursive: true });
  await writeFile(join(lower, 'f'), 'x');
  const dir = join(work, 'c');
  await mkdir(dir);
  const { path, kind } = await prepareRootfs(launcher, lower, dir);
  if (kind !== 'overlay') {
    assert.ok(process.env.PORTCULLIS_REQUIRE_ALL !== '1', 'overlay could not be mounted (needs root)');
    return t.skip('overlay cannot be mounted here (not root?): the rootfs was copied');
  }
  assert.equal(await isMounted(path), true);
  await releaseRootfs(dir);
  assert.equal(await isMounted(path), false);
  // The directory is left, empty of the image: the overlay is gone, not its mount point.
  assert.deepEqual(await readdir(path), []);
  await releaseRootfs(dir);
  await releaseRootfs(join(work, 'never-made'));
});
