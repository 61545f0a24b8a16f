/**
 * Merging an applied configuration into the live object, as upstream's TypedValue.Merge with
 * "keep the right-hand side": leaves and atomic values are replaced, structs and maps are merged
 * key by key, granular lists are merged item by item (by key for listType=map, by value for
 * sets). Nothing is removed here: removal is the prune step's job.
 */
import type { Schema } from '../schema/types.ts';
import { serializePE } from './path-element.ts';
import { entryRef, isPlainObject, sharedShape, type Ref, type Shape } from './shape.ts';
import { itemPE } from './to-field-set.ts';
import type { PathElement } from './path-element.ts';

export function mergeObjects(schema: Schema | undefined, ref: Ref, lhs: unknown, rhs: unknown): unknown {
  return merge(schema, ref, lhs, rhs, []);
}

function emptyish(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  return isPlainObject(v) && Object.keys(v).length === 0;
}

function merge(schema: Schema | undefined, ref: Ref, l: unknown, r: unknown, path: PathElement[]): unknown {
  if (r === undefined) return l;
  if (l === undefined) return r;
  const shape = sharedShape(schema, ref, l, r);
  if (shape.kind === 'leaf' || (emptyish(l) && emptyish(r))) return r;
  if (shape.kind === 'struct' || shape.kind === 'map') {
    if (!isPlainObject(l) || !isPlainObject(r)) return r;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(l)) out[k] = merge(schema, entryRef(shape, k).ref, v, r[k], [...path, { kind: 'field', name: k }]);
    for (const [k, v] of Object.entries(r)) if (!(k in l)) out[k] = v;
    return out;
  }
  if (!Array.isArray(l) || !Array.isArray(r)) return r;
  return mergeList(schema, shape, l, r, path);
}

interface Indexed {
  order: string[];
  items: Map<string, { pe: PathElement; item: unknown }>;
}

function index(shape: Extract<Shape, { kind: 'list' }>, list: unknown[], path: PathElement[]): Indexed {
  const order: string[] = [];
  const items = new Map<string, { pe: PathElement; item: unknown }>();
  list.forEach((item, i) => {
    const pe = itemPE(shape.list, item, path, i);
    const key = serializePE(pe);
    if (items.has(key)) return;
    items.set(key, { pe, item });
    order.push(key);
  });
  return { order, items };
}

/**
 * Item order as upstream's merge: items only in the live list keep their place, items of the
 * applied list appear in its order, shared items follow the applied order.
 */
function mergeList(
  schema: Schema | undefined,
  shape: Extract<Shape, { kind: 'list' }>,
  l: unknown[],
  r: unknown[],
  path: PathElement[],
): unknown[] {
  const lhs = index(shape, l, path);
  const rhs = index(shape, r, path);
  const shared = rhs.order.filter((k) => lhs.items.has(k));
  let sharedAt = 0;
  const out: unknown[] = [];
  const emitted = new Set<string>();
  const emit = (k: string): void => {
    const a = lhs.items.get(k);
    const b = rhs.items.get(k);
    const pe = (a ?? b)?.pe as PathElement;
    out.push(merge(schema, shape.item, a?.item, b?.item, [...path, pe]));
    emitted.add(k);
    if (shared[sharedAt] === k) sharedAt++;
  };
  let li = 0;
  let ri = 0;
  while (li < lhs.order.length || ri < rhs.order.length) {
    const lk = lhs.order[li];
    const rk = rhs.order[ri];
    if (lk !== undefined && emitted.has(lk)) {
      li++;
      continue;
    }
    if (lk !== undefined && rk !== undefined) {
      if (lk === rk) {
        emit(lk);
        li++;
        ri++;
        continue;
      }
      const next = shared[sharedAt];
      if (rhs.items.has(lk) && next !== undefined && next !== lk) {
        // A shared item, but not the next one in the applied order: it is placed later.
        li++;
        continue;
      }
    }
    if (lk !== undefined && !rhs.items.has(lk)) {
      emit(lk);
      li++;
      continue;
    }
    if (rk !== undefined) {
      emit(rk);
      ri++;
      continue;
    }
    li++;
  }
  return out;
}
