/**
 * A container's writable root: an overlay of the image's unpacked (read-only, shared) rootfs with
 * an upper directory of its own, so starting a container copies nothing and the image store is
 * never written. Where overlayfs cannot be mounted (an upper dir on a filesystem overlay refuses),
 * the rootfs is copied instead, said in the returned kind.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Runs a mount-related command (mount, umount, cp), its stderr in the error. */
export function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 60_000 }, (err, _out, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${String(stderr).trim() || err.message}`));
      else resolve();
    });
  });
}

/** Mounts (or copies) lower into dir/bundle/rootfs with dir/upper and dir/work. */
export async function prepareRootfs(lower: string, dir: string): Promise<{ path: string; kind: 'overlay' | 'copy' }> {
  const target = join(dir, 'bundle', 'rootfs');
  const upper = join(dir, 'upper');
  const work = join(dir, 'work');
  await Promise.all([mkdir(target, { recursive: true }), mkdir(upper, { recursive: true }), mkdir(work, { recursive: true })]);
  // Option values may not contain the separators overlay parses; our paths are ours, but say so.
  if (/[,:\\]/.test(lower + upper + work)) throw new Error(`rootfs paths may not contain ',', ':' or '\\': ${lower}`);
  try {
    await run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${upper},workdir=${work}`, target]);
    return { path: target, kind: 'overlay' };
  } catch {
    await run('cp', ['-a', '--reflink=auto', `${lower}/.`, target]);
    return { path: target, kind: 'copy' };
  }
}

/** Whether path is a mount point (per /proc/self/mountinfo). */
export async function isMounted(path: string): Promise<boolean> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return info.split('\n').some((l) => l.split(' ')[4] === path);
}

/** Unmounts path if it is a mount point; idempotent. */
export async function unmount(path: string): Promise<void> {
  if (await isMounted(path)) await run('umount', [path]);
}

/** Unmounts the container's rootfs if mounted; idempotent. */
export function releaseRootfs(dir: string): Promise<void> {
  return unmount(join(dir, 'bundle', 'rootfs'));
}

/** A pod's /dev/shm: tmpfs with the defaults containerd gives a sandbox's. */
export async function mountShm(path: string): Promise<void> {
  await mkdir(path, { recursive: true });
  await run('mount', ['-t', 'tmpfs', '-o', 'nosuid,nodev,noexec,mode=1777,size=65536k', 'shm', path]);
}
