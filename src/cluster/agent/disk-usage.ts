/**
 * Disk use of a directory as du counts it: allocated blocks (st_blocks), each inode once (hard
 * links), symlinks not followed, entries removed during the walk skipped. Used for emptyDir
 * sizeLimit eviction and for the volume and log figures of /stats/summary. The walk stops after
 * `limit` inodes, or once more than `maxBytes` are counted, so that a directory a pod fills with
 * files cannot hold the agent for long.
 *
 * Memory: only inodes that can be met twice are remembered, directories (a bind mount can make a
 * loop) and files with more than one link; a pod's millions of ordinary files cost a counter, not
 * an entry each.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Bytes allocated under `dir`, the inodes counted, and the device `dir` is on. */
export async function du(dir: string, limit = 1_000_000, maxBytes = Number.POSITIVE_INFINITY): Promise<{ bytes: number; inodes: number; dev?: number }> {
  const seen = new Set<string>();
  let bytes = 0;
  let inodes = 0;
  let dev: number | undefined;
  const walk = async (p: string): Promise<void> => {
    if (inodes >= limit || bytes > maxBytes) return;
    let st;
    try {
      st = await lstat(p);
    } catch {
      return; // removed meanwhile
    }
    dev ??= st.dev;
    if (st.isDirectory() || st.nlink > 1) {
      const id = `${st.dev}:${st.ino}`;
      if (seen.has(id)) return;
      seen.add(id);
    }
    inodes++;
    bytes += st.blocks * 512;
    if (!st.isDirectory()) return;
    let names: string[];
    try {
      names = await readdir(p);
    } catch {
      return;
    }
    for (const n of names) await walk(join(p, n));
  };
  await walk(dir);
  return { bytes, inodes, ...(dev !== undefined ? { dev } : {}) };
}

/** Bytes allocated under dir; past `maxBytes` the walk stops and the count is some number above it. */
export async function diskUsage(dir: string, maxBytes = Number.POSITIVE_INFINITY): Promise<number> {
  return (await du(dir, Number.POSITIVE_INFINITY, maxBytes)).bytes;
}
