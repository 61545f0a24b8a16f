/**
 * Structural equality of JSON values (Go's reflect.DeepEqual on decoded content): key order is
 * ignored, and a key whose value is undefined counts as absent, so objects built with
 * `{ ...o, k: undefined }` compare as if k were deleted. Own keys only (`__proto__` is data).
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], bb[i])) return false;
    return true;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  let bn = 0;
  for (const k of Object.keys(bo)) if (bo[k] !== undefined) bn++;
  if (ak.length !== bn) return false;
  for (const k of ak) if (!Object.hasOwn(bo, k) || !jsonEqual(ao[k], bo[k])) return false;
  return true;
}
