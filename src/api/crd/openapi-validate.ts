/**
 * Value validation of a decoded custom resource against a CRD schema, following kube-openapi's
 * SchemaValidator (validators run in its order: type, allOf/anyOf/oneOf/not, string, format,
 * number, slice, enum, object) and apiextensions' conversion of its errors into field errors, so
 * paths and messages read as kube-apiserver's: `spec.replicas in body must be of type integer`.
 *
 * Paths are kube-openapi's: properties joined with '.', items as [i], additionalProperties keys
 * joined with '.' (not [key]). Errors that kube-openapi does not attach to a field (anyOf, oneOf,
 * allOf, not) land on the caller's root path, which upstream leaves nil and prints as "<nil>".
 */
import type { FieldError } from '../validation/field-errors.ts';
import { goQuote, invalid, required, tooMany } from '../validation/field-errors.ts';
import type { JSONSchemaProps } from './json-schema-props.ts';
import { additionalSchema, isJsonObject, itemSchema } from './json-schema-props.ts';
import { effectiveFormat, isStringFormat, matchesFormat } from './schema-formats.ts';
import { checkEnum, checkNumber, checkString, fieldOf, IN } from './openapi-scalar-checks.ts';
import { jsonEqual } from '../json-equal.ts';

/** Schemas nest at most this deep; a deeper CRD schema is rejected rather than recursed into. */
export const MAX_SCHEMA_DEPTH = 100;

interface Result {
  errors: FieldError[];
  /** kube-openapi's MatchCount: how many checks ran; anyOf/oneOf report the deepest failing branch. */
  matches: number;
}

interface Ctx {
  rootField: string;
}

type DataKind = 'null' | 'boolean' | 'string' | 'integer' | 'number' | 'array' | 'object';

function kindOf(v: unknown): DataKind {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number' || typeof v === 'bigint') return Number.isInteger(Number(v)) ? 'integer' : 'number';
  if (Array.isArray(v)) return 'array';
  return 'object';
}

/** The format kube-openapi infers from a decoded Go value: int64 for integers, float64 otherwise. */
function dataFormat(k: DataKind): string {
  return k === 'integer' ? 'int64' : k === 'number' ? 'float64' : '';
}

function schemaTypes(s: JSONSchemaProps): string[] {
  if (s['x-kubernetes-int-or-string']) return ['integer', 'string'];
  return s.type ? [s.type] : [];
}

function typeError(name: string, typeName: string, value: string): FieldError {
  return invalid(fieldOf(name), value, `${name} ${IN} must be of type ${typeName}: ${goQuote(value)}`);
}

function checkType(s: JSONSchemaProps, types: string[], format: string, data: unknown, name: string): FieldError[] {
  const k = kindOf(data);
  if (k === 'null') {
    return types.length > 0 && !s.nullable ? [typeError(name, types.join(','), 'null')] : [];
  }
  const has = (t: string): boolean => types.includes(t);
  const isIntFloat = k === 'integer' && has('number');
  const stringOrSlice = k === 'string' || k === 'array';
  if (!stringOrSlice && format !== '' && !(has(k) || dataFormat(k) === format || isIntFloat)) {
    return [typeError(name, format, dataFormat(k))];
  }
  // A string format on a non-numeric type only checks the value through the format validator.
  if (!(has('number') || has('integer')) && format !== '' && stringOrSlice) return [];
  if (!(has(k) || isIntFloat)) return [typeError(name, types.join(','), k)];
  return [];
}

function merge(into: Result, r: Result): void {
  into.errors.push(...r.errors);
  into.matches += r.matches;
}

function validateArray(s: JSONSchemaProps, data: unknown[], name: string, depth: number, ctx: Ctx, res: Result): void {
  const f = fieldOf(name);
  const items = itemSchema(s);
  if (items !== undefined) {
    data.forEach((v, i) => merge(res, validateNode(items, v, `${name}[${i}]`, depth + 1, ctx)));
  }
  const size = data.length;
  if (s.minItems !== undefined && size < s.minItems) {
    res.errors.push(invalid(f, size, `${name} ${IN} should have at least ${s.minItems} items`));
  }
  if (s.maxItems !== undefined && size > s.maxItems) res.errors.push(tooMany(f, size, s.maxItems));
  if (s.uniqueItems && hasDuplicates(data)) {
    res.errors.push(invalid(f, '', `${name} ${IN} shouldn't contain duplicates`));
  }
}

function hasDuplicates(data: unknown[]): boolean {
  for (let i = 1; i < data.length; i++) {
    for (let j = 0; j < i; j++) if (jsonEqual(data[i], data[j])) return true;
  }
  return false;
}

function validateObject(s: JSONSchemaProps, data: Record<string, unknown>, name: string, depth: number, ctx: Ctx, res: Result): void {
  const f = fieldOf(name);
  // An undefined-valued key never survives JSON encoding, so it counts as absent.
  const present = (k: string): boolean => Object.hasOwn(data, k) && data[k] !== undefined;
  const keys = Object.keys(data).filter(present);
  // kube-openapi stops checking an object at a property-count violation.
  if (s.minProperties !== undefined && keys.length < s.minProperties) {
    res.errors.push(invalid(f, keys.length, `${name} ${IN} should have at least ${s.minProperties} properties`));
    return;
  }
  if (s.maxProperties !== undefined && keys.length > s.maxProperties) {
    res.errors.push(tooMany(f, keys.length, s.maxProperties));
    return;
  }
  const props = s.properties ?? {};
  const regular = (k: string): boolean => Object.hasOwn(props, k);
  if (s.additionalProperties === false) {
    for (const k of keys) {
      if (!regular(k)) res.errors.push(invalid(f, k, `${name}.${k} ${IN} is a forbidden property`));
    }
  } else {
    const extra = additionalSchema(s);
    if (extra !== undefined) {
      for (const k of keys) {
        if (!regular(k)) merge(res, validateNode(extra, data[k], `${name}.${k}`, depth + 1, ctx));
      }
    }
  }
  for (const [k, ps] of Object.entries(props)) {
    if (present(k)) merge(res, validateNode(ps, data[k], name === '' ? k : `${name}.${k}`, depth + 1, ctx));
  }
  for (const k of s.required ?? []) {
    if (!present(k)) res.errors.push(required(fieldOf(`${name}.${k}`)));
  }
}

function validateCombinators(s: JSONSchemaProps, data: unknown, name: string, depth: number, ctx: Ctx, res: Result): void {
  const sub = (x: JSONSchemaProps): Result => validateNode(x, data, name, depth + 1, ctx);
  const composite = (msg: string): FieldError => invalid(ctx.rootField, '', msg);
  if (s.anyOf && s.anyOf.length > 0) {
    let best: Result | undefined;
    let ok = false;
    for (const x of s.anyOf) {
      const r = sub(x);
      if (r.errors.length === 0) {
        ok = true;
        best = undefined;
        res.matches += r.matches;
        break;
      }
      if (best === undefined || r.matches > best.matches) best = r;
    }
    if (!ok) res.errors.push(composite(`${goQuote(name)} must validate at least one schema (anyOf)`));
    if (best !== undefined) merge(res, best);
  }
  if (s.oneOf && s.oneOf.length > 0) {
    let best: Result | undefined;
    let valid = 0;
    for (const x of s.oneOf) {
      const r = sub(x);
      if (r.errors.length === 0) {
        valid++;
        best = undefined;
        continue;
      }
      if (valid === 0 && (best === undefined || r.matches > best.matches)) best = r;
    }
    if (valid !== 1) {
      const more = valid === 0 ? 'Found none valid' : `Found ${valid} valid alternatives`;
      res.errors.push(composite(`${goQuote(name)} must validate one and only one schema (oneOf). ${more}`));
      if (best !== undefined) merge(res, best);
    }
  }
  if (s.allOf && s.allOf.length > 0) {
    let valid = 0;
    for (const x of s.allOf) {
      const r = sub(x);
      if (r.errors.length === 0) valid++;
      merge(res, r);
    }
    if (valid !== s.allOf.length) {
      const more = valid === 0 ? '. None validated' : '';
      res.errors.push(composite(`${goQuote(name)} must validate all the schemas (allOf)${more}`));
    }
  }
  if (s.not !== undefined && sub(s.not).errors.length === 0) {
    res.errors.push(composite(`${goQuote(name)} must not validate the schema (not)`));
  }
}

function validateNode(s: JSONSchemaProps, data: unknown, name: string, depth: number, ctx: Ctx): Result {
  const res: Result = { errors: [], matches: 0 };
  if (depth > MAX_SCHEMA_DEPTH) {
    res.errors.push(invalid(fieldOf(name), '', `schema nesting exceeds the maximum depth of ${MAX_SCHEMA_DEPTH}`));
    return res;
  }
  const types = schemaTypes(s);
  const format = effectiveFormat(s);
  const k = kindOf(data);
  const run = (errs: FieldError[]): void => {
    res.errors.push(...errs);
    res.matches++;
  };
  if (k === 'null') {
    // kube-openapi runs only the type and enum checks on null.
    if (types.length > 0 || format !== '') run(checkType(s, types, format, data, name));
    run(checkEnum(s, data, name));
    return res;
  }
  if (types.length > 0 || format !== '') run(checkType(s, types, format, data, name));
  validateCombinators(s, data, name, depth, ctx, res);
  res.matches++;
  if (typeof data === 'string') {
    run(checkString(s, data, name));
    if (isStringFormat(format) && !matchesFormat(format, data)) {
      run([invalid(fieldOf(name), data, `${name} ${IN} must be of type ${format}: ${goQuote(data)}`)]);
    }
  }
  if (typeof data === 'number') run(checkNumber(s, data, name));
  if (Array.isArray(data)) {
    validateArray(s, data, name, depth, ctx, res);
    res.matches++;
  }
  run(checkEnum(s, data, name));
  if (isJsonObject(data)) {
    validateObject(s, data, name, depth, ctx, res);
    res.matches++;
  }
  return res;
}

/**
 * OpenAPI value validation only (no list-type or embedded-resource invariants). `root` is the
 * path the value sits at; '' for a whole object.
 */
export function openAPIValidate(schema: JSONSchemaProps, data: unknown, root = ''): FieldError[] {
  return validateNode(schema, data, root, 0, { rootField: root === '' ? '<nil>' : root }).errors;
}
