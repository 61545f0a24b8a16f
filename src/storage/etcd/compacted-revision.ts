/**
 * etcd's compact revision, which its API does not report directly: a read at a revision below
 * it fails with "required revision has been compacted" and at or above it succeeds, so a binary
 * search over [1, current] finds it in log2(current) small reads. 0 when nothing was compacted.
 */
import { COMPACTED_MESSAGE } from './errors.ts';

/** `readAt` reads anything at a revision; it rejects with etcd's error when that failed. */
export async function findCompactedRevision(current: number, readAt: (revision: number) => Promise<unknown>): Promise<number> {
  const readable = async (revision: number): Promise<boolean> => {
    try {
      await readAt(revision);
      return true;
    } catch (err) {
      if (err instanceof Error && err.message.includes(COMPACTED_MESSAGE)) return false;
      throw err;
    }
  };
  let lo = 1;
  let hi = Math.max(1, current);
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (await readable(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo === 1 ? 0 : lo;
}
