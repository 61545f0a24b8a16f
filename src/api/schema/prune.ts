/**
 * Drops fields a built-in kind does not have, as decoding into upstream's typed structs does (in
 * every fieldValidation mode; Strict refuses them before this runs). Walks the same shape as
 * findUnknownFields.
 */
import type { Schema, TypeRef } from './types.ts';

const TOP_LEVEL_KNOWN = new Set(['apiVersion', 'kind']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function pruneUnknownFields(schema: Schema, typeName: string, obj: unknown): void {
  const pruneObject = (name: string, value: unknown, top: boolean): void => {
    const type = schema.type(name);
    if (!type || !isObject(value)) return;
    for (const key of Object.keys(value)) {
      const field = Object.hasOwn(type.fields, key) ? type.fields[key] : undefined;
      if (field) prune(field.type, value[key]);
      else if (!(top && TOP_LEVEL_KNOWN.has(key))) delete value[key];
    }
  };
  const prune = (ref: TypeRef, value: unknown): void => {
    if (ref.kind === 'object') pruneObject(ref.type, value, false);
    else if (ref.kind === 'list' && Array.isArray(value)) for (const item of value) prune(ref.item, item);
    else if (ref.kind === 'map' && isObject(value)) for (const v of Object.values(value)) prune(ref.value, v);
  };
  pruneObject(typeName, obj, true);
}
