/**
 * volumeMounts[].subPath made safe as the kubelet makes it (pkg/volume/util/subpath, Linux): the
 * path is resolved, must stay inside the volume (a symlink a container planted in a shared volume
 * may not lead out of it, CVE-2017-1002101), and is then bind-mounted from the opened file
 * descriptor (/proc/<pid>/fd/<n>) to <pod>/volume-subpaths/<volume>/<container>/<index>, so a
 * symlink swapped in between the check and the mount cannot redirect it. The container gets that
 * bind mount. A missing subPath directory is made inside the volume (mode of the volume's root).
 */
import { constants } from 'node:fs';
import { lstat, mkdir, open, readlink, realpath, stat, writeFile } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { bindMount, isMounted } from './mounts.ts';

/** Linux O_PATH: a descriptor that names the file without opening it for I/O (a FIFO would block). */
const O_PATH = 0o10000000;

export class SubPathError extends Error {}

const inside = (base: string, p: string) => p === base || p.startsWith(base + sep);

/** O_PATH directory descriptor of `path`, refusing a symlink as its last component. */
const openDir = (path: string) => open(path, O_PATH | constants.O_DIRECTORY | constants.O_NOFOLLOW);

/**
 * Makes base/sub's missing directories one at a time (doSafeMakeDir), each made and opened
 * through its parent's descriptor (/proc/self/fd/<n>/<part>, as upstream's mkdirat/openat), so a
 * directory swapped for a symlink by a container meanwhile cannot send the next mkdir out of the
 * volume: the descriptor keeps naming the directory that was checked. An existing part that is a
 * symlink is followed only when it leads inside base.
 */
async function safeMakeDir(base: string, sub: string, mode: number): Promise<void> {
  let dir = await openDir(base);
  try {
    for (const part of sub.split('/').filter((p) => p && p !== '.')) {
      const at = `/proc/self/fd/${dir.fd}/${part}`;
      try {
        await mkdir(at, { mode });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      let next;
      try {
        next = await openDir(at);
      } catch (err) {
        // O_DIRECTORY|O_NOFOLLOW: ENOTDIR for a symlink as for a file.
        if ((err as NodeJS.ErrnoException).code !== 'ENOTDIR' || !(await lstat(at)).isSymbolicLink()) throw err;
        // An existing symlink: followed only when it leads inside the volume (checked again below on the descriptor).
        const real = await realpath(join(await readlink(`/proc/self/fd/${dir.fd}`), part));
        if (!inside(base, real)) throw new SubPathError(`subpath "${real}" not within volume path "${base}"`);
        next = await openDir(real);
      }
      await dir.close();
      dir = next;
      const named = await readlink(`/proc/self/fd/${dir.fd}`);
      if (!inside(base, named)) throw new SubPathError(`subpath "${named}" not within volume path "${base}"`);
    }
  } finally {
    await dir.close();
  }
}

export interface SubPathInput {
  volumePath: string;
  subPath: string;
  /** Where the checked path is bind-mounted: <pod>/volume-subpaths/<volume>/<container>/<index>. */
  target: string;
}

/** Returns the host path to hand the runtime (the bind mount at target). */
export async function prepareSubPath(i: SubPathInput): Promise<string> {
  if (i.subPath.startsWith('/') || i.subPath.split('/').includes('..')) throw new SubPathError(`subPath ${JSON.stringify(i.subPath)} must be a relative path without '..'`);
  // A restarted container (or agent) reuses the mount made before.
  if (await isMounted(i.target)) return i.target;
  const base = await realpath(i.volumePath);
  const joined = join(base, i.subPath);
  let resolved: string;
  try {
    resolved = await realpath(joined);
  } catch {
    await safeMakeDir(base, i.subPath, (await stat(base)).mode & 0o7777);
    resolved = await realpath(joined);
  }
  if (!inside(base, resolved)) throw new SubPathError(`subpath "${resolved}" not within volume path "${base}"`);
  const fh = await open(resolved, O_PATH | constants.O_NOFOLLOW);
  try {
    const fdPath = `/proc/${process.pid}/fd/${fh.fd}`;
    // What the descriptor really names, after any race: it must still be inside the volume.
    const named = await readlink(fdPath);
    if (!inside(base, named)) throw new SubPathError(`subpath "${named}" not within volume path "${base}"`);
    const isDir = (await stat(fdPath)).isDirectory();
    await mkdir(isDir ? i.target : dirname(i.target), { recursive: true, mode: 0o750 });
    if (!isDir) await writeFile(i.target, '', { flag: 'a', mode: 0o640 });
    await bindMount(fdPath, i.target);
  } finally {
    await fh.close();
  }
  return i.target;
}
