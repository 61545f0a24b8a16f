/**
 * Condition times that are metav1.Time values in the Go struct, not pointers (PodCondition's,
 * NodeCondition's, PersistentVolumeClaimCondition's): upstream decodes an absent one as the zero
 * time and encoding/json writes the zero time as null (omitempty does not apply to structs), so
 * every condition a client reads has them (`"lastProbeTime": null`), whoever wrote it. A condition
 * missing one is rebuilt in the Go struct's field order: `head` (those present), the times, the rest.
 */
export function zeroConditionTimes(conds: unknown, head: readonly string[], times: readonly string[]): void {
  if (!Array.isArray(conds)) return;
  conds.forEach((c: unknown, i) => {
    if (!c || typeof c !== 'object' || times.every((t) => t in c)) return;
    const src = c as Record<string, unknown>;
    const ordered: Record<string, unknown> = {};
    for (const k of head) if (src[k] !== undefined) ordered[k] = src[k];
    for (const t of times) ordered[t] = src[t] ?? null;
    for (const [k, v] of Object.entries(src)) if (!(k in ordered)) ordered[k] = v;
    conds[i] = ordered;
  });
}
