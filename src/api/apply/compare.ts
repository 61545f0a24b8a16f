/**
 * What changed between two versions of an object, as upstream's TypedValue.Compare: leaves that
 * were added, modified or removed, plus the containers (list items, map entries, structs, lists)
 * that appeared or disappeared as a whole. Ownership moves by these sets.
 */
import { jsonEqual } from '../json-equal.ts';
import type { Schema } from '../schema/types.ts';
import { emptySet, insertKeys, type FieldSet } from './field-set.ts';
import { parsePE, serializePE, serializeStringKey } from './path-element.ts';
import { entryRef, isPlainObject, listItemPE, sharedShape, shapeOf, TypedValueError, type Ref, type Shape } from './shape.ts';
import { itemPE } from './to-field-set.ts';

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/** Compare lhs (old) with rhs (new). Pass {} rather than undefined for a missing old object. */
export function compareObjects(schema: Schema | undefined, ref: Ref, lhs: unknown, rhs: unknown): Comparison {
  return compareInto(schema, ref, lhs, rhs, { added: emptySet(), modified: emptySet(), removed: emptySet() });
}

/**
 * compareObjects into sets the caller gives; c.added and c.modified may be one set, for a caller
 * that only needs their union (a write with no other manager to take fields from).
 */
export function compareInto(schema: Schema | undefined, ref: Ref, lhs: unknown, rhs: unknown, c: Comparison): Comparison {
  walk(schema, ref, lhs, rhs, [], c);
  return c;
}

// `keys` is the path as serialised elements, one stack pushed and popped along the walk: paths
// are copied only into the sets, never per step.
function leaf(l: unknown, r: unknown, keys: string[], c: Comparison): void {
  if (l === undefined) insertKeys(c.added, keys);
  else if (r === undefined) insertKeys(c.removed, keys);
  else if (!jsonEqual(l, r)) insertKeys(c.modified, keys);
}

function isEmptyContainer(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  return isPlainObject(v) && Object.keys(v).length === 0;
}

function walk(schema: Schema | undefined, ref: Ref, l: unknown, r: unknown, keys: string[], c: Comparison): void {
  // One object on both sides has nothing to report: a status write shares the stored spec, a
  // write of the object shares the stored status, so neither is walked.
  if (l === r && typeof l === 'object' && l !== null) return;
  const shape = sharedShape(schema, ref, l, r);
  if (shape.kind === 'leaf' || (isEmptyContainer(l) && isEmptyContainer(r))) {
    // Empty and null containers on both sides are compared as leaves, keeping {} vs null apart.
    leaf(l, r, keys, c);
    return;
  }
  if (shape.kind === 'struct' || shape.kind === 'map') {
    const lm = isPlainObject(l) ? l : undefined;
    const rm = isPlainObject(r) ? r : undefined;
    // The names of both sides in the order of their union, the old side's first, without
    // building it (a Set and two arrays per struct, on every write's comparison).
    if (lm) for (const k of Object.keys(lm)) walkEntry(schema, shape, lm, rm, k, keys, c);
    if (rm) for (const k of Object.keys(rm)) if (!lm || !isEnumerable.call(lm, k)) walkEntry(schema, shape, lm, rm, k, keys, c);
  } else {
    const li = indexItems(shape.list, l, keys);
    const ri = indexItems(shape.list, r, keys);
    for (const k of li.size === 0 ? ri.keys() : new Set([...li.keys(), ...ri.keys()])) {
      keys.push(k);
      walk(schema, shape.item, li.get(k)?.item, ri.get(k)?.item, keys, c);
      keys.pop();
    }
  }
  if (l === undefined) insertKeys(c.added, keys);
  else if (r === undefined) insertKeys(c.removed, keys);
}

type StructOrMap = Extract<Shape, { kind: 'struct' | 'map' }>;
const isEnumerable = Object.prototype.propertyIsEnumerable;

/** One member of a struct or map: its values on both sides, compared below its path element. */
function walkEntry(schema: Schema | undefined, shape: StructOrMap, lm: Record<string, unknown> | undefined, rm: Record<string, unknown> | undefined, k: string, keys: string[], c: Comparison): void {
  const { ref: child, declared, optional } = entryRef(shape, k);
  let lv: unknown = lm?.[k];
  let rv: unknown = rm?.[k];
  if (shape.kind === 'struct' && declared && lm && rm) {
    // Upstream compares Go objects turned into JSON, where a field of a struct that exists
    // is often present even when unset: a non-pointer struct as {}, a list or map without
    // omitempty (the ones not marked +optional) as null. Such a field appearing is not
    // "added" as a whole, only its contents are: containers get no ".", labels do. An
    // empty struct appearing is taken for a pointer being set (securityContext: {}).
    const kind = shapeOf(schema, child, undefined).kind;
    if (kind === 'struct') {
      if (!isEmptyContainer(lv) || !isEmptyContainer(rv)) {
        lv ??= {};
        rv ??= {};
      }
    } else if (!optional && (kind === 'list' || kind === 'map')) {
      if (lv === undefined) lv = null;
      if (rv === undefined) rv = null;
    }
  }
  if (lv === undefined && rv === undefined) return;
  keys.push(`f:${k}`);
  walk(schema, child, lv, rv, keys, c);
  keys.pop();
}

function indexItems(list: Parameters<typeof itemPE>[0], v: unknown, keys: readonly string[]): Map<string, { item: unknown }> {
  const out = new Map<string, { item: unknown }>();
  if (!Array.isArray(v)) return out;
  v.forEach((item, i) => {
    const key = itemKey(list, item, keys, i);
    // Duplicates are tolerated in stored objects; the first occurrence stands for the key.
    if (!out.has(key)) out.set(key, { item });
  });
  return out;
}

function itemKey(list: Parameters<typeof itemPE>[0], item: unknown, keys: readonly string[], i: number): string {
  // The usual list, keyed by one field that the item has as a string: listItemPE's element
  // would be that one pair, so its text is made directly.
  const mapKeys = list.mapKeys;
  if (list.listType === 'map' && mapKeys?.length === 1 && isPlainObject(item)) {
    const v = item[mapKeys[0]!];
    if (typeof v === 'string') return serializeStringKey(mapKeys[0]!, v);
  }
  try {
    return serializePE(listItemPE(list, item));
  } catch (e) {
    // The path is parsed back from the key stack only for the error message itemPE builds.
    if (e instanceof TypedValueError) itemPE(list, item, keys.map(parsePE), i);
    throw e;
  }
}
