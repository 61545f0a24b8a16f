/**
 * Volume ownership as the kubelet manages it: fsGroup (pkg/volume/volume_linux.go
 * SetVolumeOwnership — every file's group becomes fsGroup, files get g+r (read-only volumes) or
 * g+rw, directories also g+x and setgid) and fsUser (pkg/volume/util FsUserFrom — the user every
 * container of the pod runs as, when they all agree, owns a projected token).
 */
import { chmod, lchown, lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';

const RW_MASK = 0o660;
const RO_MASK = 0o440;
const EXEC_MASK = 0o110;
const SETGID = 0o2000;

async function changeOne(path: string, gid: number, readOnly: boolean): Promise<void> {
  await lchown(path, -1, gid);
  const st = await lstat(path);
  if (st.isSymbolicLink()) return;
  let mask = readOnly ? RO_MASK : RW_MASK;
  if (st.isDirectory()) mask |= SETGID | EXEC_MASK;
  await chmod(path, (st.mode & 0o7777) | mask);
}

/** Walks dir (not following symlinks) giving everything to fsGroup. */
export async function setVolumeOwnership(dir: string, fsGroup: number | undefined, readOnly: boolean): Promise<void> {
  if (fsGroup === undefined) return;
  const walk = async (p: string): Promise<void> => {
    await changeOne(p, fsGroup, readOnly);
    const st = await lstat(p);
    if (!st.isDirectory()) return;
    for (const e of await readdir(p)) await walk(join(p, e));
  };
  await walk(dir);
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
