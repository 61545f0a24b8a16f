/**
 * FitError.Error() (framework/types.go): "0/N nodes are available: <PreFilterMsg>. <sorted reason
 * histogram>. <PostFilterMsg>" — each reason of each node's status counted once per node, the
 * "count reason" strings sorted as strings; nodes absent from the map count with the absent status.
 */
import type { Status } from './framework.ts';

export interface Diagnosis {
  statuses: ReadonlyMap<string, Status>;
  /** Reasons for nodes not in `statuses` (e.g. "Preemption is not helpful for scheduling"). */
  absentStatus?: Status;
  preFilterMsg?: string;
  postFilterMsg?: string;
}

export function fitErrorMessage(numAllNodes: number, d: Diagnosis): string {
  let msg = `0/${numAllNodes} nodes are available:`;
  if (d.preFilterMsg) msg += ` ${d.preFilterMsg}.`;
  else {
    const counts = new Map<string, number>();
    for (const s of d.statuses.values()) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
    const absent = numAllNodes - d.statuses.size;
    if (absent > 0 && d.absentStatus) for (const r of d.absentStatus.reasons) counts.set(r, (counts.get(r) ?? 0) + absent);
    // Go's sort.Strings compares bytes; JS string comparison of UTF-16 agrees for these ASCII strings.
    const parts = [...counts].map(([r, n]) => `${n} ${r}`).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (parts.length > 0) msg += ` ${parts.join(', ')}.`;
  }
  if (d.postFilterMsg) msg += ` ${d.postFilterMsg}`;
  return msg;
}
