/**
 * The RFC 6902 operations that turn one JSON value into another: what a mutating webhook answers
 * after the admission plugins changed the object in place (image pinning rewrites a few strings,
 * so the patch is those replaces, not the whole object). Arrays of changed length are replaced
 * whole: the API server applies the patch to the object it sent, so positions must stay exact.
 */
type Json = unknown;

export interface PatchOp {
  op: 'add' | 'remove' | 'replace';
  path: string;
  value?: Json;
}

/** RFC 6901: "~" and "/" escaped in a reference token. */
const token = (k: string | number): string => String(k).replace(/~/g, '~0').replace(/\//g, '~1');

const isObj = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function jsonPatchDiff(before: Json, after: Json, path = ''): PatchOp[] {
  if (isObj(before) && isObj(after)) {
    const ops: PatchOp[] = [];
    for (const k of Object.keys(before)) {
      if (!Object.hasOwn(after, k)) ops.push({ op: 'remove', path: `${path}/${token(k)}` });
      else ops.push(...jsonPatchDiff(before[k], after[k], `${path}/${token(k)}`));
    }
    for (const k of Object.keys(after)) if (!Object.hasOwn(before, k)) ops.push({ op: 'add', path: `${path}/${token(k)}`, value: after[k] });
    return ops;
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((v, i) => jsonPatchDiff(v, after[i], `${path}/${i}`));
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  return [{ op: 'replace', path, value: after }];
}
