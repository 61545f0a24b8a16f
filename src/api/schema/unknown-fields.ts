/**
 * Unknown-field detection for fieldValidation=Strict|Warn on built-in kinds. Paths use upstream's
 * strict JSON decoding format (sigs.k8s.io/json): object keys joined by ".", list items as "[i]",
 * so a bad container field reads `spec.containers[0].foo` (upstream wraps it as
 * `strict decoding error: unknown field "spec.containers[0].foo"`).
 */
import type { Schema, TypeRef } from './types.ts';

/** Upstream stops collecting strict errors after 100; so do we, which also bounds the work. */
export const MAX_UNKNOWN_FIELDS = 100;

/** TypeMeta lives inline at the top of every kind and is not part of the message schema. */
const TOP_LEVEL_KNOWN = new Set(['apiVersion', 'kind']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

export function findUnknownFields(schema: Schema, typeName: string, obj: unknown): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const report = (path: string): void => {
    if (out.length < MAX_UNKNOWN_FIELDS && !seen.has(path)) {
      seen.add(path);
      out.push(path);
    }
  };

  const walkObject = (name: string, value: unknown, path: string, top: boolean): void => {
    const type = schema.type(name);
    // A value of the wrong JSON type is a decoding error, not an unknown field.
    if (!type || !isObject(value)) return;
    for (const [key, child] of Object.entries(value)) {
      if (out.length >= MAX_UNKNOWN_FIELDS) return;
      const field = Object.hasOwn(type.fields, key) ? type.fields[key] : undefined;
      if (field) walk(field.type, child, join(path, key));
      else if (!(top && TOP_LEVEL_KNOWN.has(key))) report(join(path, key));
    }
  };

  const walk = (ref: TypeRef, value: unknown, path: string): void => {
    switch (ref.kind) {
      case 'object':
        return walkObject(ref.type, value, path, false);
      case 'list':
        if (Array.isArray(value)) value.forEach((item, i) => walk(ref.item, item, `${path}[${i}]`));
        return;
      case 'map':
        if (isObject(value)) for (const [k, v] of Object.entries(value)) walk(ref.value, v, join(path, k));
        return;
      default:
        // Scalars, well-known string/number types and free-form `any` have no fields to check.
        return;
    }
  };

  walkObject(typeName, obj, '', true);
  return out;
}
