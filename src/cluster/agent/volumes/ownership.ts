/**
 * Volume ownership as the kubelet manages it: fsGroup (pkg/volume/volume_linux.go
 * SetVolumeOwnership — every file's group becomes fsGroup, files get g+r (read-only volumes) or
 * g+rw, directories also g+x and setgid) and fsUser (pkg/volume/util FsUserFrom — the user every
 * container of the pod runs as, when they all agree, owns a projected token).
 */
import { constants } from 'node:fs';
import { chmod, chown, lchown, open, readdir } from 'node:fs/promises';
import type { Pod } from 'kubernetes-types/core/v1.js';

const RW_MASK = 0o660;
const RO_MASK = 0o440;
const EXEC_MASK = 0o110;
const SETGID = 0o2000;
/** Linux O_PATH: names a file (a FIFO, a device) without opening it for I/O. */
const O_PATH = 0o10000000;

/**
 * Walks dir giving everything to fsGroup, never following a symlink: each entry is opened
 * O_PATH|O_NOFOLLOW and changed, and a directory listed, through its descriptor
 * (/proc/self/fd/<n>), so an entry swapped for a symlink during the walk cannot redirect a chmod
 * or the walk to what it points at (upstream's walk, by path, can be). Symlinks themselves get
 * the group (lchown) and keep their mode.
 */
export async function setVolumeOwnership(dir: string, fsGroup: number | undefined, readOnly: boolean): Promise<void> {
  if (fsGroup === undefined) return;
  const visit = async (path: string): Promise<void> => {
    const fh = await open(path, O_PATH | constants.O_NOFOLLOW);
    try {
      const st = await fh.stat();
      if (st.isSymbolicLink()) return void (await lchown(path, -1, fsGroup));
      const self = `/proc/self/fd/${fh.fd}`;
      await chown(self, -1, fsGroup);
      let mask = readOnly ? RO_MASK : RW_MASK;
      if (st.isDirectory()) mask |= SETGID | EXEC_MASK;
      await chmod(self, (st.mode & 0o7777) | mask);
      if (st.isDirectory()) for (const e of await readdir(self)) await visit(`${self}/${e}`);
    } finally {
      await fh.close();
    }
  };
  await visit(dir);
}

/** The runAsUser every container (init and ephemeral too) runs as, if they all name the same one. */
export function fsUserFrom(pod: Pod): number | undefined {
  const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? []), ...(pod.spec?.ephemeralContainers ?? [])];
  let user: number | undefined;
  for (const c of all) {
    const u = c.securityContext?.runAsUser ?? pod.spec?.securityContext?.runAsUser;
    if (u === undefined || u === null) return undefined;
    if (user !== undefined && user !== u) return undefined;
    user = u;
  }
  return user;
}
