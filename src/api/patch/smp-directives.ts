/**
 * The map-level directives of a strategic merge patch that act before the ordinary merge:
 * `$retainKeys` (clear every key not listed) and `$setElementOrder/<field>` (merge the field's list
 * and put its elements in the given order). Semantics and errors follow upstream's
 * applyRetainKeysDirective and mergePatchIntoOriginal.
 */
import { getKey, hasKey, isObject, putKey, removeKey } from './json-value.ts';
import type { JsonObject, JsonValue } from './json-value.ts';
import {
  DELETE_FROM_PRIMITIVE_LIST_PREFIX,
  DIRECTIVE_MARKER,
  RETAIN_KEYS_DIRECTIVE,
  SET_ELEMENT_ORDER_PREFIX,
  directiveTarget,
  errBadArgType,
  errBadPatchFormatForRetainKeys,
  errNoMergeKey,
  errSetElementOrderMismatch,
} from './smp-errors.ts';
import { elementKind, normalizeElementOrder, partition, sameScalar } from './smp-order.ts';
import { fieldRef, listMeta } from './smp-schema.ts';
import type { SmpNode } from './smp-schema.ts';
import type { Merger } from './strategic-merge-patch.ts';
import { freshValue } from './smp-fresh.ts';

/**
 * `$retainKeys: [names]`: every key of the patch (other than nulls and parallel-list directives)
 * must be listed (else 400), and keys of the original that are not listed are cleared.
 */
export function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!hasKey(patch, RETAIN_KEYS_DIRECTIVE)) return;
  const retain = getKey(patch, RETAIN_KEYS_DIRECTIVE);
  removeKey(patch, RETAIN_KEYS_DIRECTIVE);
  if (!Array.isArray(retain)) throw errBadPatchFormatForRetainKeys();
  const listed = (k: string): boolean => retain.some((r) => sameScalar(r, k));
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX) || k.startsWith(SET_ELEMENT_ORDER_PREFIX)) continue;
    if (!listed(k)) throw errBadPatchFormatForRetainKeys();
  }
  for (const k of Object.keys(original)) if (!listed(k)) removeKey(original, k);
}

/** Processes every `$setElementOrder/<field>` of `patch`, removing it and its list from the patch. */
export function mergeSetElementOrder(merger: Merger, original: JsonObject, patch: JsonObject, node: SmpNode): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER_PREFIX)) continue;
    const order = getKey(patch, key);
    removeKey(patch, key);
    if (!Array.isArray(order)) throw errBadArgType('[]interface {}', order);
    const field = directiveTarget(key, SET_ELEMENT_ORDER_PREFIX);
    const current = listAt(original, field);
    const patchList = listAt(patch, field);
    const ref = fieldRef(node, field);
    const meta = listMeta(merger.schema, ref);
    validateOrder(patchList ?? [], order, meta.mergeKey);

    let merged: JsonValue[];
    if (current !== undefined && patchList !== undefined) merged = merger.mergeList(current, patchList, meta);
    else if (patchList !== undefined) merged = freshValue(patchList) as JsonValue[];
    else if (current !== undefined) merged = current;
    else continue;

    const kind = elementKind(current ?? [], patchList ?? []);
    if (kind === undefined || merged.length === 0) {
      putKey(original, field, merged);
    } else {
      const { named, serverOnly } = partition(merged, order, meta.mergeKey);
      putKey(original, field, normalizeElementOrder(named, serverOnly, order, current ?? [], meta.mergeKey, kind));
    }
    removeKey(patch, field);
  }
}

/** The list at `key`, undefined when absent; anything else there is upstream's ErrBadArgType. */
function listAt(o: JsonObject, key: string): JsonValue[] | undefined {
  if (!hasKey(o, key)) return undefined;
  const v = getKey(o, key);
  if (!Array.isArray(v)) throw errBadArgType('[]interface {}', v);
  return v;
}

/**
 * validatePatchWithSetOrderList: the patch list's elements (ignoring `$patch` ones) must appear in
 * the order list, in the same relative order.
 */
function validateOrder(patchList: JsonValue[], order: JsonValue[], mergeKey: string): void {
  if (order.length === 0 || patchList.length === 0) return;
  let items = patchList;
  if (mergeKey !== '') {
    for (const v of patchList) if (!isObject(v)) throw errBadArgType('map[string]interface {}', v);
    items = patchList.filter((v) => getKey(v as JsonObject, DIRECTIVE_MARKER) !== 'delete');
  }
  let p = 0;
  let o = 0;
  while (p < items.length && o < order.length) {
    const item = items[p] as JsonValue;
    if (isObject(item) && hasKey(item, DIRECTIVE_MARKER)) {
      p++;
      continue;
    }
    if (sameIdentity(item, order[o] as JsonValue, mergeKey)) p++;
    o++;
  }
  if (p < items.length) throw errSetElementOrderMismatch(patchList, order);
}

/** mergeKeyValueEqual: both maps carrying the merge key, equal on it (or equal scalars without a key). */
function sameIdentity(a: JsonValue, b: JsonValue, mergeKey: string): boolean {
  if (mergeKey === '') return sameScalar(a, b);
  for (const v of [a, b]) {
    if (!isObject(v)) throw errBadArgType('map[string]interface {}', v);
    if (!hasKey(v, mergeKey)) throw errNoMergeKey(v, mergeKey);
  }
  return sameScalar(getKey(a as JsonObject, mergeKey), getKey(b as JsonObject, mergeKey));
}
