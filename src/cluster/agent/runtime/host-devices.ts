/**
 * The host's device nodes, for a privileged container (containerd's oci.HostDevices): every
 * character and block device under /dev, subdirectories included except pts, shm, fd, mqueue and
 * the lxc/udev ones, without /dev/console. runc makes each node in the container's /dev.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface LinuxDevice {
  path: string;
  type: 'c' | 'b';
  major: number;
  minor: number;
  fileMode: number;
  uid: number;
  gid: number;
}

const SKIP_DIRS = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);

/** Linux's dev_t encoding (glibc gnu_dev_major / gnu_dev_minor). */
export function majorMinor(rdev: number): { major: number; minor: number } {
  const dev = BigInt(rdev);
  const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
  const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
  return { major, minor };
}

export async function hostDevices(dir = '/dev'): Promise<LinuxDevice[]> {
  const out: LinuxDevice[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const path = join(dir, name);
    const st = await lstat(path).catch(() => undefined);
    if (!st) continue;
    if (st.isDirectory()) {
      if (!SKIP_DIRS.has(name)) out.push(...(await hostDevices(path)));
      continue;
    }
    if (name === 'console' || !(st.isCharacterDevice() || st.isBlockDevice())) continue;
    out.push({ path, type: st.isCharacterDevice() ? 'c' : 'b', ...majorMinor(st.rdev), fileMode: st.mode & 0o7777, uid: st.uid, gid: st.gid });
  }
  return out;
}
