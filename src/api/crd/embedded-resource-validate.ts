/**
 * The TypeMeta invariants of x-kubernetes-embedded-resource values, after apiextensions'
 * objectmeta.Validate (root excluded: the REST layer validates the resource's own meta).
 * Paths use field.Path form: properties as .name, map values as [key], items as [i].
 */
import type { FieldError, Path } from '../validation/field-errors.ts';
import { invalid, path, required } from '../validation/field-errors.ts';
import { isDNS1035Label } from '../validation/names.ts';
import type { JSONSchemaProps } from './json-schema-props.ts';
import { additionalSchema, isJsonObject, itemSchema, propertySchema } from './json-schema-props.ts';
import { MAX_SCHEMA_DEPTH } from './openapi-validate.ts';

function validateTypeMeta(p: Path, x: Record<string, unknown>): FieldError[] {
  const errs: FieldError[] = [];
  // apiVersion and kind are required; metadata is not.
  if (!Object.hasOwn(x, 'apiVersion')) errs.push(required(p.child('apiVersion')));
  if (!Object.hasOwn(x, 'kind')) errs.push(required(p.child('kind')));
  for (const [k, v] of Object.entries(x)) {
    if (k === 'apiVersion') {
      if (typeof v !== 'string') errs.push(invalid(p.child(k), v, 'must be a string'));
      else if (v === '') errs.push(required(p.child(k)));
      else if (v.split('/').length > 2) errs.push(invalid(p.child(k), v, `unexpected GroupVersion string: ${v}`));
    } else if (k === 'kind') {
      if (typeof v !== 'string') errs.push(invalid(p.child(k), v, 'must be a string'));
      else if (v === '') errs.push(required(p.child(k)));
      else {
        const bad = isDNS1035Label(v.toLowerCase());
        if (bad.length > 0) {
          errs.push(invalid(p.child(k), v, 'may have mixed case, but should otherwise match: ' + bad.join(',')));
        }
      }
    } else if (k === 'metadata' && !isJsonObject(v)) {
      errs.push(invalid(p.child(k), v, 'must be an object'));
    }
  }
  return errs;
}

function walk(p: Path, x: unknown, s: JSONSchemaProps | undefined, depth: number): FieldError[] {
  if (s === undefined || depth > MAX_SCHEMA_DEPTH) return [];
  const errs: FieldError[] = [];
  if (isJsonObject(x)) {
    if (s['x-kubernetes-embedded-resource']) errs.push(...validateTypeMeta(p, x));
    for (const [k, v] of Object.entries(x)) {
      const prop = propertySchema(s, k);
      if (prop !== undefined) errs.push(...walk(p.child(k), v, prop, depth + 1));
      else errs.push(...walk(p.key(k), v, additionalSchema(s), depth + 1));
    }
  } else if (Array.isArray(x)) {
    const items = itemSchema(s);
    x.forEach((v, i) => errs.push(...walk(p.index(i), v, items, depth + 1)));
  }
  return errs;
}

export function validateEmbeddedResources(schema: JSONSchemaProps, obj: unknown, at: Path = path()): FieldError[] {
  return walk(at, obj, schema, 0);
}
