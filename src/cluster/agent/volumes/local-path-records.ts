/**
 * The local-path volumes this node made. volume-setup.ts makes a provisioned PersistentVolume's
 * directory when a pod first uses it and records it here, one file per volume under
 * <data dir>/local-path-volumes/<pv name>.json: the volume's uid and the directory. Upstream's
 * local-path-provisioner removes a deleted volume's directory with a helper pod on its node; here
 * the persistent volume binder asks the node's agent (DELETE /localPath/<pv>?uid=<uid>, through
 * the API server's nodes/proxy) once the volume is released with reclaimPolicy Delete, and the
 * agent removes only a directory it recorded making for that very volume: never a path it is told.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const recordsDir = (dataDir: string): string => join(dataDir, 'local-path-volumes');

/** A PersistentVolume name (DNS subdomain): nothing that could leave the records directory. */
const PV_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export function validPvName(name: string): boolean {
  return name.length <= 253 && PV_NAME.test(name) && !name.includes('..');
}

interface LocalPathRecord {
  uid: string;
  path: string;
}

async function read(dataDir: string, pvName: string): Promise<LocalPathRecord | undefined> {
  try {
    const r = JSON.parse(await readFile(join(recordsDir(dataDir), `${pvName}.json`), 'utf8')) as LocalPathRecord;
    return typeof r.uid === 'string' && typeof r.path === 'string' ? r : undefined;
  } catch {
    return undefined;
  }
}

/** Notes that this node made (or uses) `path` for the volume; written once, atomically. */
export async function recordLocalPath(dataDir: string, pvName: string, uid: string, path: string): Promise<void> {
  if (!validPvName(pvName)) throw new Error(`invalid PersistentVolume name ${JSON.stringify(pvName)}`);
  const known = await read(dataDir, pvName);
  if (known?.uid === uid && known.path === path) return;
  const dir = recordsDir(dataDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${pvName}.tmp`);
  await writeFile(tmp, JSON.stringify({ uid, path }), { mode: 0o600 });
  await rename(tmp, join(dir, `${pvName}.json`));
}

export type RemoveResult = { removed: string } | { unknown: true } | { otherUid: string } | { inUse: string };

/**
 * Removes the directory recorded for the volume (and the record) when the uid is the one recorded
 * and no pod here uses it (claims are not protected by a finalizer here, so a claim deleted under
 * a running pod releases its volume: its data stays until the pod is gone).
 */
export async function removeLocalPath(dataDir: string, pvName: string, uid: string, inUse: (path: string) => boolean): Promise<RemoveResult> {
  if (!validPvName(pvName)) return { unknown: true };
  const r = await read(dataDir, pvName);
  if (!r) return { unknown: true };
  if (r.uid !== uid) return { otherUid: r.uid };
  if (inUse(r.path)) return { inUse: r.path };
  // rm does not follow symlinks inside the tree: a link a pod left points out, and only the link goes.
  await rm(r.path, { recursive: true, force: true });
  await rm(join(recordsDir(dataDir), `${pvName}.json`), { force: true });
  return { removed: r.path };
}
