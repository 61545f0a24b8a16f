/**
 * Removing owned items from an object, for the prune step of apply (fields an applier stops
 * applying disappear unless someone else owns them).
 */
import type { Schema } from '../schema/types.ts';
import type { FieldSet } from './field-set.ts';
import { fieldPE, parsePE, serializePE } from './path-element.ts';
import { entryRef, isPlainObject, listItemPE, shapeOf, type Ref, type Shape } from './shape.ts';

const ANY: Ref = { kind: 'any' };

function childRef(shape: Shape, peKey: string): Ref {
  const pe = parsePE(peKey);
  if (pe.kind === 'field') return shape.kind === 'struct' || shape.kind === 'map' ? entryRef(shape, pe.name).ref : ANY;
  return shape.kind === 'list' ? shape.item : ANY;
}

/**
 * Set.EnsureNamedFieldsAreMembers: a struct field with owned fields below it becomes a member
 * too, so that removing it removes the whole struct, while map entries and list items stay
 * as they are.
 */
export function ensureNamedFieldsAreMembers(schema: Schema | undefined, ref: Ref, set: FieldSet): FieldSet {
  const shape = shapeOf(schema, ref, undefined);
  const members = new Set(set.members);
  const children = new Map<string, FieldSet>();
  for (const [k, c] of set.children) {
    if (shape.kind === 'struct') {
      const pe = parsePE(k);
      if (pe.kind === 'field' && entryRef(shape, pe.name).declared) members.add(k);
    }
    children.set(k, ensureNamedFieldsAreMembers(schema, childRef(shape, k), c));
  }
  return { members, children };
}

/** TypedValue.RemoveItems: drop every member of the set (with what is below it) from the value. */
export function removeItems(schema: Schema | undefined, ref: Ref, value: unknown, set: FieldSet): unknown {
  const shape = shapeOf(schema, ref, value);
  if ((shape.kind === 'struct' || shape.kind === 'map') && isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const key = serializePE(fieldPE(k));
      if (set.members.has(key)) continue;
      const sub = set.children.get(key);
      out[k] = sub ? removeItems(schema, entryRef(shape, k).ref, v, sub) : v;
    }
    return out;
  }
  if (shape.kind === 'list' && Array.isArray(value)) {
    const out: unknown[] = [];
    for (const item of value) {
      let key: string;
      try {
        key = serializePE(listItemPE(shape.list, item));
      } catch {
        out.push(item);
        continue;
      }
      if (set.members.has(key)) continue;
      const sub = set.children.get(key);
      out.push(sub ? removeItems(schema, shape.item, item, sub) : item);
    }
    return out;
  }
  return value;
}
