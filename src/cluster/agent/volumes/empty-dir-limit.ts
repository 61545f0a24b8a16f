/**
 * emptyDir sizeLimit on disk, enforced as the kubelet's eviction manager does
 * (emptyDirLimitEviction): a volume using more than its limit evicts the pod, with upstream's
 * message `Usage of EmptyDir volume "x" exceeds the limit "1Gi". `. Usage is counted as du counts
 * it (allocated blocks, each inode once, not following symlinks). Memory-backed volumes need no
 * check: their tmpfs is sized to the limit, so writes past it fail.
 */
import { diskUsage } from '../disk-usage.ts';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from '../../../api/validation/quantity.ts';
import { canonicalQuantity } from '../../../admission/quota/quantity.ts';

export { diskUsage };

/** The eviction message for the first disk emptyDir over its sizeLimit, if any. */
export async function emptyDirOverLimit(pod: Pod, pathOf: (volume: string) => string | undefined): Promise<string | undefined> {
  for (const v of pod.spec?.volumes ?? []) {
    const limit = v.emptyDir?.sizeLimit as string | undefined;
    if (!v.emptyDir || v.emptyDir.medium === 'Memory' || limit === undefined) continue;
    const q = parseQuantity(String(limit));
    const path = pathOf(v.name);
    if (!q || q.num <= 0n || !path) continue;
    // The walk may stop once past the limit (floor(num/den) bytes): a pod's files beyond it need not be walked.
    const used = BigInt(await diskUsage(path, Number(q.num / q.den)));
    // used > num/den, in integers.
    // The limit as Quantity.String() prints it ("1024Ki" is "1Mi"), as the eviction manager's message.
    if (used * q.den > q.num) return `Usage of EmptyDir volume "${v.name}" exceeds the limit "${canonicalQuantity(String(limit))}". `;
  }
  return undefined;
}
