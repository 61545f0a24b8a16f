/**
 * emptyDir sizeLimit on disk, enforced as the kubelet's eviction manager does
 * (emptyDirLimitEviction): a volume using more than its limit evicts the pod, with upstream's
 * message `Usage of EmptyDir volume "x" exceeds the limit "1Gi". `. Usage is counted as du counts
 * it (allocated blocks, each inode once, not following symlinks). Memory-backed volumes need no
 * check: their tmpfs is sized to the limit, so writes past it fail.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from '../../../api/validation/quantity.ts';

/** Bytes allocated under dir. */
export async function diskUsage(dir: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const walk = async (p: string): Promise<void> => {
    let st;
    try {
      st = await lstat(p);
    } catch {
      return; // removed meanwhile
    }
    const id = `${st.dev}:${st.ino}`;
    if (seen.has(id)) return;
    seen.add(id);
    total += st.blocks * 512;
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
  return total;
}

/** The eviction message for the first disk emptyDir over its sizeLimit, if any. */
export async function emptyDirOverLimit(pod: Pod, pathOf: (volume: string) => string | undefined): Promise<string | undefined> {
  for (const v of pod.spec?.volumes ?? []) {
    const limit = v.emptyDir?.sizeLimit as string | undefined;
    if (!v.emptyDir || v.emptyDir.medium === 'Memory' || limit === undefined) continue;
    const q = parseQuantity(String(limit));
    const path = pathOf(v.name);
    if (!q || q.num <= 0n || !path) continue;
    const used = BigInt(await diskUsage(path));
    // used > num/den, in integers.
    if (used * q.den > q.num) return `Usage of EmptyDir volume "${v.name}" exceeds the limit "${limit}". `;
  }
  return undefined;
}
