/**
 * Toleration merging as upstream's pkg/util/tolerations (RuntimeClass's scheduling.tolerations
 * into a pod's): of two tolerations where one tolerates everything the other does, only the wider
 * is kept; of equal ones, the first.
 */
import { jsonEqual } from '../../api/json-equal.ts';

export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

/** apiequality.Semantic.DeepEqual of two tolerations (absent and empty strings alike, as Go's zero values). */
function sameToleration(a: Toleration, b: Toleration): boolean {
  return (a.key ?? '') === (b.key ?? '') && (a.operator ?? '') === (b.operator ?? '') && (a.value ?? '') === (b.value ?? '') && (a.effect ?? '') === (b.effect ?? '') && jsonEqual(a.tolerationSeconds ?? null, b.tolerationSeconds ?? null);
}

/** isSuperset: whether ss tolerates a superset of what t tolerates. */
export function isSuperset(ss: Toleration, t: Toleration): boolean {
  if (sameToleration(t, ss)) return true;
  // An empty key with Exists matches every key and value.
  if ((t.key ?? '') !== (ss.key ?? '') && ((ss.key ?? '') !== '' || ss.operator !== 'Exists')) return false;
  // An empty effect matches every effect.
  if ((t.effect ?? '') !== (ss.effect ?? '') && (ss.effect ?? '') !== '') return false;
  if (ss.effect === 'NoExecute' && ss.tolerationSeconds !== undefined && ss.tolerationSeconds !== null) {
    if (t.tolerationSeconds === undefined || t.tolerationSeconds === null || t.tolerationSeconds > ss.tolerationSeconds) return false;
  }
  switch (ss.operator ?? '') {
    case 'Equal':
    case '': // empty operator means Equal
      return t.operator === 'Equal' && (t.value ?? '') === (ss.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

/** MergeTolerations: first's then second's, each dropped when another one covers it. */
export function mergeTolerations(first: readonly Toleration[], second: readonly Toleration[]): Toleration[] {
  const all = [...first, ...second];
  const merged: Toleration[] = [];
  next: for (let i = 0; i < all.length; i++) {
    const t = all[i]!;
    for (const t2 of merged) if (isSuperset(t2, t)) continue next;
    for (const t2 of all.slice(i + 1)) {
      // Of equal tolerations the first is kept.
      if (!sameToleration(t, t2) && isSuperset(t2, t)) continue next;
    }
    merged.push(t);
  }
  return merged;
}
