/**
 * Applies an image layer (a tar, gzip-compressed or not, already verified against its digest) to
 * a rootfs as containerd's applier does: whiteouts (`.wh.<name>` removes a lower file, the opaque
 * `.wh..wh..opq` empties a lower directory) and paths resolved inside the rootfs.
 *
 * GNU tar (numeric owners, modes, devices, hard links) extracts each layer into an empty directory
 * of its own, where no earlier layer's symlink can redirect it (tar delays an archive's own
 * symlinks that point outward). That tree is then moved into the rootfs entry by entry, every
 * parent resolved as if the rootfs were `/` (securejoin), so a layer can never write outside it.
 */
import { execFile } from 'node:child_process';
import { chmod, lchown, lstat, mkdir, readdir, readlink, rename, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';

const OPAQUE = '.wh..wh..opq';
const WHITEOUT = '.wh.';
const MAX_LINKS = 255;

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 30 * 60_000, maxBuffer: 4 << 20 }, (err, _o, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${String(stderr).trim() || err.message}`));
      else resolve();
    });
  });
}

/**
 * The host path of `rel` inside `root`, following symlinks as the container would see them
 * (absolute targets from root, `..` never above root). The last component is not followed: it is
 * what gets replaced or removed.
 */
export async function secureJoin(root: string, rel: string): Promise<string> {
  const pending = rel.split('/').filter((p) => p !== '' && p !== '.');
  const last = pending.pop();
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const host = join(root, ...resolved, part);
    const st = await lstat(host).catch(() => undefined);
    if (st?.isSymbolicLink()) {
      if (++links > MAX_LINKS) throw new Error(`too many symbolic links resolving ${rel}`);
      const target = await readlink(host);
      if (target.startsWith('/')) resolved.length = 0;
      pending.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'));
      continue;
    }
    resolved.push(part);
  }
  if (last === undefined || last === '..') return join(root, ...resolved);
  return join(root, ...resolved, last);
}

/** Moves the extracted tree `src` (relative path `rel`) into the rootfs, honouring whiteouts. */
async function merge(root: string, src: string, rel: string): Promise<void> {
  const names = await readdir(join(src, rel));
  // Whiteouts act on the lower layers only, so they go before this layer's entries.
  if (names.includes(OPAQUE)) {
    const dir = await secureJoin(root, `${rel}/x`).then((p) => posix.dirname(p));
    const st = await lstat(dir).catch(() => undefined);
    if (st?.isDirectory()) for (const n of await readdir(dir)) await rm(join(dir, n), { recursive: true, force: true });
  }
  for (const n of names) {
    if (n === OPAQUE || !n.startsWith(WHITEOUT)) continue;
    const target = n.slice(WHITEOUT.length);
    // `.wh.`, `.wh..` and `.wh...` name no file below the directory but the directory itself or
    // its parent: at the top that removed the whole rootfs built so far. A layer saying so is broken.
    if (target === '' || target === '.' || target === '..') throw new Error(`invalid whiteout ${posix.join(rel, n)}: it names no file in its directory`);
    await rm(await secureJoin(root, posix.join(rel, target)), { recursive: true, force: true });
  }
  for (const n of names) {
    if (n.startsWith(WHITEOUT)) continue;
    const from = join(src, rel, n);
    const childRel = posix.join(rel, n);
    const to = await secureJoin(root, childRel);
    const st = await lstat(from);
    const existing = await lstat(to).catch(() => undefined);
    if (st.isDirectory()) {
      // A new directory is made and filled entry by entry (not renamed whole), so whiteouts inside
      // never land in the rootfs; an existing one is merged into, and takes the layer's mode and owner.
      if (!existing?.isDirectory()) {
        if (existing) await rm(to, { recursive: true, force: true });
        await mkdir(posix.dirname(to), { recursive: true });
        await mkdir(to);
      }
      await merge(root, src, childRel);
      await chmod(to, st.mode & 0o7777);
      await lchown(to, st.uid, st.gid);
      continue;
    }
    if (existing) await rm(to, { recursive: true, force: true });
    await mkdir(posix.dirname(to), { recursive: true });
    await rename(from, to);
  }
}

/** Applies one layer file to `rootfs`, using `scratch` (an empty directory on the same filesystem). */
export async function applyLayer(rootfs: string, layerFile: string, scratch: string): Promise<void> {
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true });
  try {
    // GNU tar detects gzip (and the other compressions it knows) by content on extraction.
    await run('tar', ['-x', '--numeric-owner', '--same-permissions', '-f', layerFile, '-C', scratch]);
    await merge(rootfs, scratch, '.');
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
