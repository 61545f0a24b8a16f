/**
 * Element order of merged lists, as upstream's strategic merge patch decides it
 * (normalizeElementOrder / mergeSortedSlice in apimachinery strategicpatch):
 * elements named in the patch keep the patch's relative order, elements only on the server keep
 * the server's, and the two are interleaved by the server's order where both are known. A new
 * element (not on the server) therefore lands before the server-only elements that follow it,
 * which is why an added container is listed first.
 */
import { getKey, hasKey, isObject } from './json-value.ts';
import type { JsonObject, JsonValue } from './json-value.ts';
import { DIRECTIVE_MARKER, errBadArgType, errElementTypesDiffer, errNoListOfLists, errNoMergeKey } from './smp-errors.ts';

/** The Go dynamic type of a decoded element, which upstream requires to be the same across a list. */
export type ElementKind = 'map' | 'list' | 'string' | 'int' | 'float' | 'bool' | 'null';

export function kindOf(v: JsonValue): ElementKind {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  if (isObject(v)) return 'map';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  return typeof v === 'boolean' ? 'bool' : 'string';
}

/** sliceElementType: the common element kind, undefined when all lists are empty. */
export function elementKind(...slices: JsonValue[][]): ElementKind | undefined {
  let kind: ElementKind | undefined;
  for (const s of slices) {
    for (const v of s) {
      const k = kindOf(v);
      if (kind === undefined) {
        if (k === 'list') throw errNoListOfLists();
        kind = k;
      } else if (k !== kind) {
        throw errElementTypesDiffer(slices);
      }
    }
  }
  return kind;
}

/** The identity of an element: its merge key value for maps, the element itself otherwise. */
function identity(item: JsonValue, mergeKey: string, kind: ElementKind): JsonValue | undefined {
  if (kind !== 'map') return item;
  return isObject(item) ? getKey(item, mergeKey) : undefined;
}

/** Go's interface equality on decoded scalars; composite values never compare equal. */
export function sameScalar(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  return a === b && (a === null || a === undefined || typeof a !== 'object');
}

export function indexOf(list: JsonValue[], item: JsonValue, mergeKey: string, kind: ElementKind): number {
  const id = identity(item, mergeKey, kind);
  return list.findIndex((v) => sameScalar(identity(v, mergeKey, kind), id));
}

/** Index of the first map whose merge key equals `value`. */
export function findByKey(list: JsonValue[], mergeKey: string, value: JsonValue | undefined): number {
  return list.findIndex((v) => isObject(v) && hasKey(v, mergeKey) && sameScalar(getKey(v, mergeKey), value));
}

export function requireMergeKey(item: JsonValue, mergeKey: string): JsonObject {
  if (!isObject(item)) throw errBadArgType('map[string]interface {}', item);
  if (!hasKey(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
  return item;
}

export function dedupeScalars(list: JsonValue[]): JsonValue[] {
  const out: JsonValue[] = [];
  for (const v of list) if (!out.some((o) => sameScalar(o, v))) out.push(v);
  return out;
}

/** Splits `merged` into the elements named in `by` and the rest, keeping their order. */
export function partition(
  merged: JsonValue[],
  by: JsonValue[],
  mergeKey: string,
): { named: JsonValue[]; serverOnly: JsonValue[] } {
  const named: JsonValue[] = [];
  const serverOnly: JsonValue[] = [];
  for (const v of merged) {
    let found: boolean;
    if (mergeKey === '') {
      found = by.some((b) => sameScalar(b, v));
    } else {
      const m = requireMergeKey(v, mergeKey);
      found = findByKey(by, mergeKey, getKey(m, mergeKey)) >= 0;
    }
    (found ? named : serverOnly).push(v);
  }
  return { named, serverOnly };
}

/** Sorts `toSort` by position in `order` (stable); `$patch: delete` elements go last. */
function sortByOrder(toSort: JsonValue[], order: JsonValue[], mergeKey: string, kind: ElementKind): JsonValue[] {
  let keep = toSort;
  let deleted: JsonValue[] = [];
  if (kind === 'map') {
    for (const v of [...toSort, ...order]) requireMergeKey(v, mergeKey);
    keep = toSort.filter((v) => getKey(v as JsonObject, DIRECTIVE_MARKER) !== 'delete');
    deleted = toSort.filter((v) => getKey(v as JsonObject, DIRECTIVE_MARKER) === 'delete');
  }
  const pos = (v: JsonValue): number => {
    const i = indexOf(order, v, mergeKey, kind);
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  return [...keep].sort((a, b) => pos(a) - pos(b)).concat(deleted);
}

/**
 * normalizeElementOrder: `named` sorted by `namedOrder`, `serverOnly` by `serverOrder`, then
 * interleaved: a server-only element goes first only when both it and the next named element are
 * on the server and it comes before that element there.
 */
export function normalizeElementOrder(
  named: JsonValue[],
  serverOnly: JsonValue[],
  namedOrder: JsonValue[],
  serverOrder: JsonValue[],
  mergeKey: string,
  kind: ElementKind,
): JsonValue[] {
  const right = sortByOrder(named, namedOrder, mergeKey, kind);
  const left = sortByOrder(serverOnly, serverOrder, mergeKey, kind);
  const out: JsonValue[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (j >= right.length) out.push(left[i++] as JsonValue);
    else if (i >= left.length) out.push(right[j++] as JsonValue);
    else {
      const li = indexOf(serverOrder, left[i] as JsonValue, mergeKey, kind);
      const ri = indexOf(serverOrder, right[j] as JsonValue, mergeKey, kind);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++] as JsonValue);
      else out.push(right[j++] as JsonValue);
    }
  }
  return out;
}
