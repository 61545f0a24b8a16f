/**
 * emptyDir sizeLimit on disk, enforced as the kubelet's eviction manager does
 * (emptyDirLimitEviction): a volume using more than its limit evicts the pod, with upstream's
 * message `Usage of EmptyDir volume "x" exceeds the limit "1Gi". `. Usage is counted as du counts
 * it (allocated blocks, each inode once, not following symlinks). Memory-backed volumes need no
 * check: their tmpfs is sized to the limit, so writes past it fail.
 */
import { diskUsage } from '../disk-usage.ts';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { cmpQty, formatQty, parseQty, qtyFromInt, qtyValue } from '../../../api/quantity.ts';

export { diskUsage };

/** The eviction message for the first disk emptyDir over its sizeLimit, if any. */
export async function emptyDirOverLimit(pod: Pod, pathOf: (volume: string) => string | undefined): Promise<string | undefined> {
  for (const v of pod.spec?.volumes ?? []) {
    const limit = v.emptyDir?.sizeLimit as string | undefined;
    if (!v.emptyDir || v.emptyDir.medium === 'Memory' || limit === undefined) continue;
    const q = parseQty(limit);
    const path = pathOf(v.name);
    if (!q || q.nanos <= 0n || !path) continue;
    // The walk may stop once past the limit (rounded up to a byte): a pod's files beyond it need not be walked.
    const used = await diskUsage(path, Number(qtyValue(q)));
    // The limit as Quantity.String() prints it ("1024Ki" is "1Mi"), as the eviction manager's message.
    if (cmpQty(qtyFromInt(used), q) > 0) return `Usage of EmptyDir volume "${v.name}" exceeds the limit "${formatQty(q)}". `;
  }
  return undefined;
}
