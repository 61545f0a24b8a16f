import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Launcher } from './launcher.ts';
import { prepareRootfs, releaseRootfs } from './rootfs.ts';

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
