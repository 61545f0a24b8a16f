/**
 * How a value is walked for server-side apply, from the schema: as a leaf (scalars and anything
 * atomic), a struct (declared fields), a granular map (map<string,V>: entries are not declared
 * fields), or a granular list (listType map or set). Without a schema (custom resources with no
 * structural schema) the shape is deduced from the value as upstream's DeducedParseableType does:
 * objects are granular maps, lists are atomic.
 */
import type { FieldSchema, ListInfo, ObjectType, Schema, TypeRef } from '../schema/types.ts';
import { keyPE, type Json, type PathElement } from './path-element.ts';

export type Ref = TypeRef | { kind: 'leaf' };

export type Shape =
  | { kind: 'leaf' }
  | { kind: 'struct'; type: ObjectType }
  | { kind: 'map'; value: Ref }
  | { kind: 'list'; item: Ref; list: ListInfo };

const ANY: Ref = { kind: 'any' };
const LEAF: Shape = { kind: 'leaf' };

export function rootRef(schema: Schema | undefined, typeName: string | undefined): Ref {
  return schema && typeName ? { kind: 'object', type: typeName } : ANY;
}

export function isPlainObject(v: unknown): v is Record<string, Json> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The shape of one value; a value that contradicts the schema is treated as a leaf. */
export function shapeOf(schema: Schema | undefined, ref: Ref, value: unknown): Shape {
  const s = declaredShape(schema, ref, value);
  if ((s.kind === 'struct' || s.kind === 'map') && value !== undefined && value !== null && !isPlainObject(value)) {
    return LEAF;
  }
  if (s.kind === 'list' && value !== undefined && value !== null && !Array.isArray(value)) return LEAF;
  return s;
}

/** One shape for two sides of a merge or comparison; if they disagree, the value is a leaf. */
export function sharedShape(schema: Schema | undefined, ref: Ref, a: unknown, b: unknown): Shape {
  const sa = shapeOf(schema, ref, a);
  const sb = shapeOf(schema, ref, b);
  if (a === undefined) return sb;
  if (b === undefined) return sa;
  return sa.kind === sb.kind ? sb : LEAF;
}

function declaredShape(schema: Schema | undefined, ref: Ref, value: unknown): Shape {
  switch (ref.kind) {
    case 'object': {
      const t = schema?.type(ref.type);
      if (!t) return deduced(value);
      return t.atomic ? LEAF : { kind: 'struct', type: t };
    }
    case 'map':
      return { kind: 'map', value: ref.value };
    case 'list':
      return ref.list.listType === 'atomic' ? LEAF : { kind: 'list', item: ref.item, list: ref.list };
    case 'any':
      return deduced(value);
    default:
      return LEAF;
  }
}

function deduced(value: unknown): Shape {
  return isPlainObject(value) ? { kind: 'map', value: ANY } : LEAF;
}

const fieldIndex = new WeakMap<ObjectType, Map<string, FieldSchema>>();

function findField(t: ObjectType, name: string): FieldSchema | undefined {
  let idx = fieldIndex.get(t);
  if (!idx) {
    idx = new Map(Object.values(t.fields).map((f) => [f.name, f]));
    fieldIndex.set(t, idx);
  }
  return idx.get(name);
}

export interface EntryType {
  ref: Ref;
  /** A declared field of a struct (not a map entry, not an unknown field). */
  declared: boolean;
  /** Marked +optional; the generated schema carries this beyond the FieldSchema interface. */
  optional: boolean;
}

/** The type of a map entry or struct field. */
export function entryRef(shape: Shape, key: string): EntryType {
  if (shape.kind === 'map') return { ref: shape.value, declared: false, optional: true };
  if (shape.kind !== 'struct') return { ref: ANY, declared: false, optional: true };
  const f = findField(shape.type, key);
  // Undeclared fields (apiVersion, kind: TypeMeta is not in the protobuf messages) are walked
  // like entries of a deduced map rather than rejected.
  if (!f) return { ref: ANY, declared: false, optional: true };
  const optional = (f as FieldSchema & { optional?: boolean }).optional === true;
  if (f.mapType === 'atomic' && f.type.kind === 'map') return { ref: { kind: 'leaf' }, declared: true, optional };
  return { ref: f.type, declared: true, optional };
}

export class TypedValueError extends Error {}

/**
 * Defaults of key fields, from the +default markers upstream's schema carries: a port without a
 * protocol is keyed as {"containerPort":80,"protocol":"TCP"}.
 */
const KEY_DEFAULTS: Record<string, Json> = { protocol: 'TCP' };

/** listItemToPathElement: the identity of an item of a granular list. */
export function listItemPE(list: ListInfo, item: unknown): PathElement {
  const keys = list.mapKeys ?? [];
  if (list.listType === 'map' && keys.length > 0) {
    if (!isPlainObject(item)) throw new TypedValueError('associative list with keys may not have non-map elements');
    const fields: Array<[string, Json]> = [];
    for (const k of keys) {
      const v = item[k] !== undefined ? item[k] : KEY_DEFAULTS[k];
      if (v === undefined) {
        throw new TypedValueError(
          `associative list with keys has an element that omits key field ${JSON.stringify(k)} (and doesn't have default value)`,
        );
      }
      fields.push([k, v as Json]);
    }
    return keyPE(fields);
  }
  if (isPlainObject(item)) throw new TypedValueError("associative list without keys has an element that's a map type");
  if (Array.isArray(item)) throw new TypedValueError('not supported: associative list with lists as elements');
  if (item === null) throw new TypedValueError('associative list with keys may not have a null element');
  return { kind: 'value', value: item as Json };
}
