/**
 * Uniqueness of x-kubernetes-list-type set (whole items) and map (key fields) arrays, after
 * apiextensions' listtype.ValidateListSetsAndMaps: each repeated value is reported once, at its
 * second appearance, as a Duplicate value.
 */
import type { FieldError, Path } from '../validation/field-errors.ts';
import { duplicate, GoValue, goQuote, invalid, path } from '../validation/field-errors.ts';
import type { JSONSchemaProps } from './json-schema-props.ts';
import { additionalSchema, isJsonObject, itemSchema, propertySchema } from './json-schema-props.ts';
import { canonicalJson } from './canonical-json.ts';
import { MAX_SCHEMA_DEPTH } from './openapi-validate.ts';

/** A missing key field differs from every value, null included. */
const UNSPECIFIED = Symbol('unspecified');

function setKey(v: unknown): string {
  if (v === UNSPECIFIED) return 'u';
  // Scalars compare by type and value, compounds by their canonical JSON.
  return typeof v === 'object' && v !== null ? 'c' + canonicalJson(v) : `s${typeof v}:${String(v)}`;
}

/** Indices of the second appearance of each repeated value. */
function nonUnique(values: readonly unknown[]): number[] {
  const seen = new Map<string, number>();
  const out: number[] = [];
  values.forEach((v, i) => {
    const k = setKey(v);
    const times = seen.get(k) ?? 0;
    if (times === 1) out.push(i);
    seen.set(k, times + 1);
  });
  return out;
}

/** Go's %#v of the map[string]interface{} upstream reports for a repeated map key. */
function goMapValue(m: Record<string, unknown>): GoValue {
  const parts = Object.keys(m)
    .sort()
    .map((k) => {
      const v = m[k];
      const shown = typeof v === 'string' ? goQuote(v) : v === null ? 'interface {}(nil)' : typeof v === 'object' ? JSON.stringify(v) : String(v);
      return `${goQuote(k)}:${shown}`;
    });
  return new GoValue(`map[string]interface {}{${parts.join(', ')}}`);
}

function validateListMap(p: Path, s: JSONSchemaProps, list: unknown[]): FieldError[] {
  for (const [i, x] of list.entries()) {
    if (x !== null && !isJsonObject(x)) return [invalid(p.index(i), x, 'must be an object for an array of list-type map')];
  }
  if (list.length <= 1) return [];
  const keyFields = s['x-kubernetes-list-map-keys'] ?? [];
  if (keyFields.length === 1) {
    const kf = keyFields[0] ?? '';
    const keys = list.map((x) => (isJsonObject(x) && Object.hasOwn(x, kf) ? x[kf] : UNSPECIFIED));
    return nonUnique(keys).map((i) => {
      const key = keys[i];
      return duplicate(p.index(i), goMapValue(key === UNSPECIFIED ? {} : { [kf]: key }));
    });
  }
  const keys = list.map((x) => {
    const key: Record<string, unknown> = {};
    if (isJsonObject(x)) for (const kf of keyFields) if (Object.hasOwn(x, kf)) key[kf] = x[kf];
    return key;
  });
  return nonUnique(keys).map((i) => duplicate(p.index(i), goMapValue(keys[i] ?? {})));
}

function walk(p: Path, x: unknown, s: JSONSchemaProps | undefined, depth: number): FieldError[] {
  if (s === undefined || depth > MAX_SCHEMA_DEPTH) return [];
  const errs: FieldError[] = [];
  if (Array.isArray(x)) {
    const lt = s['x-kubernetes-list-type'];
    if (lt === 'set') for (const i of nonUnique(x)) errs.push(duplicate(p.index(i), x[i]));
    else if (lt === 'map') errs.push(...validateListMap(p, s, x));
    const items = itemSchema(s);
    x.forEach((v, i) => errs.push(...walk(p.index(i), v, items, depth + 1)));
  } else if (isJsonObject(x)) {
    const extra = additionalSchema(s);
    if (extra !== undefined) for (const [k, v] of Object.entries(x)) errs.push(...walk(p.key(k), v, extra, depth + 1));
    for (const [k, v] of Object.entries(x)) {
      const prop = propertySchema(s, k);
      if (prop !== undefined) errs.push(...walk(p.child(k), v, prop, depth + 1));
    }
  }
  return errs;
}

export function validateListSetsAndMaps(schema: JSONSchemaProps, obj: unknown, at: Path = path()): FieldError[] {
  return walk(at, obj, schema, 0);
}
