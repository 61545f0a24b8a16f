/**
 * A minimal image built from Debian's busybox-static: /bin/busybox, a relative symlink per applet,
 * and /etc/passwd and /etc/group with root and nobody. The tests' image (and the seed of
 * `portcullis image build`) until images come from a registry; the digest is the sha256 of the
 * binary, so the same busybox gives the same image.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmod, copyFile, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageInfo } from './types.ts';

export async function busyboxRootfs(dir: string, busybox = '/bin/busybox', ref = 'portcullis.local/busybox:latest'): Promise<ImageInfo> {
  const rootfs = join(dir, 'rootfs');
  await mkdir(join(rootfs, 'bin'), { recursive: true });
  await mkdir(join(rootfs, 'etc'), { recursive: true });
  await mkdir(join(rootfs, 'tmp'), { recursive: true, mode: 0o1777 });
  await chmod(join(rootfs, 'tmp'), 0o1777);
  await mkdir(join(rootfs, 'root'), { recursive: true });
  await copyFile(busybox, join(rootfs, 'bin', 'busybox'));
  await chmod(join(rootfs, 'bin', 'busybox'), 0o755);
  const applets = execFileSync(busybox, ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => /^[a-z0-9_.[-]+$/.test(a) && a !== 'busybox');
  await Promise.all(applets.map((a) => symlink('busybox', join(rootfs, 'bin', a)).catch(() => undefined)));
  await writeFile(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  await writeFile(join(rootfs, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
  const digest = `sha256:${createHash('sha256').update(await readFile(busybox)).digest('hex')}`;
  return { ref, digest, config: { Cmd: ['sh'], Env: ['PATH=/bin'] }, rootfs };
}
