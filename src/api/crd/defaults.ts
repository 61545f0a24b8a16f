/**
 * Schema defaulting of a custom resource, after apiextensions' structural defaulting: first
 * null values of non-nullable fields without a default are dropped (PruneNonNullableNullsWithoutDefaults),
 * then `default` values are deep-copied into absent fields (and over nulls of non-nullable fields)
 * top-down, so defaults nested inside a freshly defaulted object apply too. Items of arrays and
 * values of additionalProperties maps are defaulted with their schema.
 */
import type { JSONSchemaProps } from './json-schema-props.ts';
import { additionalSchema, isJsonObject, itemSchema, propertySchema } from './json-schema-props.ts';
import { MAX_SCHEMA_DEPTH } from './openapi-validate.ts';

const hasDefault = (s: JSONSchemaProps | undefined): boolean => s !== undefined && s.default !== undefined && s.default !== null;

const isNonNullableNull = (x: unknown, s: JSONSchemaProps | undefined): boolean => x === null && s !== undefined && !s.nullable;

/** Defines an own property even for "__proto__", which plain assignment would turn into a prototype change. */
function setOwn(x: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(x, k, { value: v, writable: true, enumerable: true, configurable: true });
}

function fieldSchema(s: JSONSchemaProps | undefined, k: string): JSONSchemaProps | undefined {
  return propertySchema(s, k) ?? additionalSchema(s);
}

function pruneNulls(x: unknown, s: JSONSchemaProps | undefined, depth: number): void {
  if (depth > MAX_SCHEMA_DEPTH) return;
  if (isJsonObject(x)) {
    for (const [k, v] of Object.entries(x)) {
      const fs = fieldSchema(s, k);
      if (isNonNullableNull(v, fs) && !hasDefault(fs)) delete x[k];
      else pruneNulls(v, fs, depth + 1);
    }
  } else if (Array.isArray(x)) {
    const items = itemSchema(s);
    for (const v of x) pruneNulls(v, items, depth + 1);
  }
}

function applyDefaults(x: unknown, s: JSONSchemaProps | undefined, depth: number): void {
  if (s === undefined || depth > MAX_SCHEMA_DEPTH) return;
  if (isJsonObject(x)) {
    for (const [k, prop] of Object.entries(s.properties ?? {})) {
      if (!hasDefault(prop)) continue;
      if (!Object.hasOwn(x, k) || isNonNullableNull(x[k], prop)) setOwn(x, k, structuredClone(prop.default));
    }
    const extra = additionalSchema(s);
    for (const [k, v] of Object.entries(x)) {
      const prop = propertySchema(s, k);
      if (prop !== undefined) applyDefaults(v, prop, depth + 1);
      else if (extra !== undefined) {
        if (isNonNullableNull(v, extra) && hasDefault(extra)) setOwn(x, k, structuredClone(extra.default));
        applyDefaults(x[k], extra, depth + 1);
      }
    }
  } else if (Array.isArray(x)) {
    const items = itemSchema(s);
    x.forEach((v, i) => {
      if (isNonNullableNull(v, items) && hasDefault(items)) x[i] = structuredClone(items?.default);
      applyDefaults(x[i], items, depth + 1);
    });
  }
}

/** Drops nulls the schema cannot hold and applies defaults, in place. */
export function applySchemaDefaults(schema: JSONSchemaProps | undefined, obj: unknown): void {
  if (schema === undefined) return;
  pruneNulls(obj, schema, 0);
  applyDefaults(obj, schema, 0);
}
