/**
 * apiequality.Semantic.DeepEqual over JSON: Go cannot tell an absent field from its zero value, so
 * undefined, null, '', 0, false, [] and {} all compare equal to each other. Quantities compare by
 * value ("1000m" equals "1").
 */
import { cmpQty, parseQty } from '../quantity.ts';

function isZero(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

export function semanticEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isZero(a) && isZero(b)) return true;
  if (typeof a === 'string' && typeof b === 'string') {
    // Only numeric texts are parsed (plain words never reach here as equal, nor fill the parse cache).
    if (!/^[+-]?[0-9.]/.test(a) || !sameKind(a, b)) return false;
    const qa = parseQty(a);
    const qb = parseQty(b);
    return qa !== undefined && qb !== undefined && cmpQty(qa, qb) === 0;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => semanticEqual(x, b[i]));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
    for (const k of keys) if (!semanticEqual(ao[k], bo[k])) return false;
    return true;
  }
  return false;
}

/** Avoid "1.0" == "1" style matches for things that are not quantities, like image tags. */
function sameKind(a: string, b: string): boolean {
  const isNumeric = (s: string): boolean => /^[+-]?[0-9.]+([eEinumkKMGTP]*[-+]?[0-9]*)$/.test(s);
  return isNumeric(a) && isNumeric(b);
}
