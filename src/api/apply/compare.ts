/**
 * What changed between two versions of an object, as upstream's TypedValue.Compare: leaves that
 * were added, modified or removed, plus the containers (list items, map entries, structs, lists)
 * that appeared or disappeared as a whole. Ownership moves by these sets.
 */
import { jsonEqual } from '../json-equal.ts';
import type { Schema } from '../schema/types.ts';
import { emptySet, insertPath, type FieldSet } from './field-set.ts';
import { fieldPE, serializePE, type PathElement } from './path-element.ts';
import { entryRef, isPlainObject, sharedShape, shapeOf, type Ref } from './shape.ts';
import { itemPE } from './to-field-set.ts';

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/** Compare lhs (old) with rhs (new). Pass {} rather than undefined for a missing old object. */
export function compareObjects(schema: Schema | undefined, ref: Ref, lhs: unknown, rhs: unknown): Comparison {
  const c: Comparison = { added: emptySet(), modified: emptySet(), removed: emptySet() };
  walk(schema, ref, lhs, rhs, [], c);
  return c;
}

function leaf(l: unknown, r: unknown, path: PathElement[], c: Comparison): void {
  if (l === undefined) insertPath(c.added, path);
  else if (r === undefined) insertPath(c.removed, path);
  else if (!jsonEqual(l, r)) insertPath(c.modified, path);
}

function isEmptyContainer(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  return isPlainObject(v) && Object.keys(v).length === 0;
}

function walk(schema: Schema | undefined, ref: Ref, l: unknown, r: unknown, path: PathElement[], c: Comparison): void {
  const shape = sharedShape(schema, ref, l, r);
  if (shape.kind === 'leaf' || (isEmptyContainer(l) && isEmptyContainer(r))) {
    // Empty and null containers on both sides are compared as leaves, keeping {} vs null apart.
    leaf(l, r, path, c);
    return;
  }
  if (shape.kind === 'struct' || shape.kind === 'map') {
    const lm = isPlainObject(l) ? l : undefined;
    const rm = isPlainObject(r) ? r : undefined;
    const keys = new Set([...Object.keys(lm ?? {}), ...Object.keys(rm ?? {})]);
    for (const k of keys) {
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
      if (lv === undefined && rv === undefined) continue;
      walk(schema, child, lv, rv, [...path, fieldPE(k)], c);
    }
  } else {
    const li = indexItems(shape.list, l, path);
    const ri = indexItems(shape.list, r, path);
    const keys = new Set([...li.keys(), ...ri.keys()]);
    for (const k of keys) {
      const a = li.get(k);
      const b = ri.get(k);
      const pe = (a ?? b)?.pe as PathElement;
      walk(schema, shape.item, a?.item, b?.item, [...path, pe], c);
    }
  }
  if (l === undefined) insertPath(c.added, path);
  else if (r === undefined) insertPath(c.removed, path);
}

function indexItems(
  list: Parameters<typeof itemPE>[0],
  v: unknown,
  path: PathElement[],
): Map<string, { pe: PathElement; item: unknown }> {
  const out = new Map<string, { pe: PathElement; item: unknown }>();
  if (!Array.isArray(v)) return out;
  v.forEach((item, i) => {
    const pe = itemPE(list, item, path, i);
    const key = serializePE(pe);
    // Duplicates are tolerated in stored objects; the first occurrence stands for the key.
    if (!out.has(key)) out.set(key, { pe, item });
  });
  return out;
}
