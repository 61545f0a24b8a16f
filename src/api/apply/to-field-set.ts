/**
 * The set of fields an object (usually an applied configuration) specifies, as upstream's
 * TypedValue.ToFieldSet: every scalar and atomic value, every item of a granular list (so the
 * item itself is owned: "."), and every entry of a map that is not a declared struct field.
 * Struct fields that only contain other fields are not members themselves.
 */
import type { Schema } from '../schema/types.ts';
import { emptySet, insertPath, type FieldSet } from './field-set.ts';
import { fieldPE, pathToString, serializePE, type PathElement } from './path-element.ts';
import { entryRef, listItemPE, shapeOf, TypedValueError, type Ref } from './shape.ts';

export interface ToFieldSetOptions {
  /** Applied configurations may not repeat a list key; stored objects may (AllowDuplicates). */
  rejectDuplicates?: boolean;
}

export function toFieldSet(schema: Schema | undefined, ref: Ref, value: unknown, opts: ToFieldSetOptions = {}): FieldSet {
  const set = emptySet();
  walk(schema, ref, value, [], set, opts);
  return set;
}

function walk(
  schema: Schema | undefined,
  ref: Ref,
  value: unknown,
  path: PathElement[],
  set: FieldSet,
  opts: ToFieldSetOptions,
): void {
  const shape = shapeOf(schema, ref, value);
  switch (shape.kind) {
    case 'leaf':
      insertPath(set, path);
      return;
    case 'struct':
    case 'map': {
      if (value === null || value === undefined) return;
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const { ref: child, declared } = entryRef(shape, k);
        const p = [...path, fieldPE(k)];
        walk(schema, child, v, p, set, opts);
        if (!declared) insertPath(set, p);
      }
      return;
    }
    case 'list': {
      if (!Array.isArray(value)) return;
      const seen = new Set<string>();
      value.forEach((item, i) => {
        const pe = itemPE(shape.list, item, path, i);
        const key = serializePE(pe);
        if (seen.has(key) && opts.rejectDuplicates) {
          throw new TypedValueError(`${pathToString(path)}: duplicate entries for key ${pathToString([pe])}`);
        }
        seen.add(key);
        const p = [...path, pe];
        walk(schema, shape.item, item, p, set, opts);
        insertPath(set, p);
      });
      return;
    }
  }
}

export function itemPE(list: Parameters<typeof listItemPE>[0], item: unknown, path: PathElement[], i: number): PathElement {
  try {
    return listItemPE(list, item);
  } catch (e) {
    if (e instanceof TypedValueError) throw new TypedValueError(`${pathToString(path)}: element ${i}: ${e.message}`);
    throw e;
  }
}
