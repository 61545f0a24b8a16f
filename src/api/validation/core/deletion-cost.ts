/** The pod-deletion-cost annotation and helper.GetDeletionCostFromPodAnnotations' rule (validation and ReplicaSet ranking share it). */
export const POD_DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

/**
 * helper.GetDeletionCostFromPodAnnotations fails: a value that is not an int32 in decimal, or that
 * starts with '+' or a leading zero (validFirstDigit), as "+10" and "008".
 */
export function hasInvalidDeletionCost(annotations: Readonly<Record<string, string>> | undefined | null): boolean {
  const v = annotations?.[POD_DELETION_COST];
  if (v === undefined) return false;
  if (!/^(?:0|-[0-9]+|[1-9][0-9]*)$/.test(v) || v.length > 12) return true;
  const n = Number(v);
  return n < -(2 ** 31) || n >= 2 ** 31;
}
