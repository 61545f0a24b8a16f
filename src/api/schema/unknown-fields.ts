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

// The walk is module-level functions over one state object rather than closures made per call:
// this runs on every write, and the sources run through tsx, whose keepNames re-names each
// nested function at every call (Object.defineProperty), which cost more than the walk itself.
interface Walk {
  schema: Schema;
  out: string[];
  seen: Set<string>;
}

export function findUnknownFields(schema: Schema, typeName: string, obj: unknown): string[] {
  const w: Walk = { schema, out: [], seen: new Set() };
  walkObject(w, typeName, obj, '', true);
  return w.out;
}

function report(w: Walk, path: string): void {
  if (w.out.length < MAX_UNKNOWN_FIELDS && !w.seen.has(path)) {
    w.seen.add(path);
    w.out.push(path);
  }
}

function walkObject(w: Walk, name: string, value: unknown, path: string, top: boolean): void {
  const type = w.schema.type(name);
  // A value of the wrong JSON type is a decoding error, not an unknown field.
  if (!type || !isObject(value)) return;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (w.out.length >= MAX_UNKNOWN_FIELDS) return;
    const field = Object.hasOwn(type.fields, key) ? type.fields[key] : undefined;
    if (field) walk(w, field.type, value[key], join(path, key));
    else if (!(top && TOP_LEVEL_KNOWN.has(key))) report(w, join(path, key));
  }
}

function walk(w: Walk, ref: TypeRef, value: unknown, path: string): void {
  switch (ref.kind) {
    case 'object':
      return walkObject(w, ref.type, value, path, false);
    case 'list':
      if (Array.isArray(value)) for (let i = 0; i < value.length; i++) walk(w, ref.item, value[i], `${path}[${i}]`);
      return;
    case 'map':
      if (isObject(value)) for (const k in value) if (Object.hasOwn(value, k)) walk(w, ref.value, value[k], join(path, k));
      return;
    default:
      // Scalars, well-known string/number types and free-form `any` have no fields to check.
      return;
  }
}
