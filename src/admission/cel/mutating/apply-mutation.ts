/**
 * A mutation's evaluated value applied to the object being admitted (upstream's patch package):
 * an ApplyConfiguration `Object` is merged into the object with structured-merge semantics (the
 * same merge server-side apply uses: src/api/apply/merge.ts), refusing atomic lists, maps and
 * structs as upstream; a JSONPatch list is applied as RFC 6902 (a failed `test` leaves the object
 * unchanged). Each returns the new object or upstream's error message.
 */
import { ApiError } from '../../../api/errors.ts';
import { mergeObjects } from '../../../api/apply/merge.ts';
import { validateTyped } from '../../../api/apply/typed-validate.ts';
import { entryRef, isPlainObject, rootRef, shapeOf, type Ref } from '../../../api/apply/shape.ts';
import { applyJsonPatch } from '../../../api/patch/json-patch.ts';
import type { JsonObject, JsonValue } from '../../../api/patch/json-value.ts';
import type { Schema } from '../../../api/schema/types.ts';
import { isConstructed, TYPE_NAME } from './mutation-env.ts';

export type Applied = { ok: true; object: Record<string, any> } | { ok: false; error: string };

function celTypeName(v: unknown): string {
  if (isConstructed(v)) return v[TYPE_NAME];
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'double';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  if (v === null || v === undefined) return 'null_type';
  if (Array.isArray(v)) return 'list(dyn)';
  return 'map(dyn, dyn)';
}

class NotJson extends Error {}

/** A CEL value as JSON: ints as numbers, bytes as base64, timestamps in RFC 3339. */
export function celToJson(v: unknown): JsonValue {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new NotJson(`${v} is not a JSON number`);
    return v;
  }
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (v instanceof Date) return v.toISOString().replace('.000Z', 'Z');
  if (Array.isArray(v)) return v.map(celToJson);
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), celToJson(x)]));
  if (typeof v === 'object' && v !== null && (Object.getPrototypeOf(v) === Object.prototype || isConstructed(v))) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) out[k] = celToJson(x);
    return out;
  }
  throw new NotJson(`${celTypeName(v)} cannot be marshalled to JSON`);
}

/** Upstream's CheckTypeNamesMatchFieldPathNames: `Object.spec` only at field spec of `Object`, and so on. */
function typeNameErrors(v: unknown, path: string[], out: string[]): string[] {
  if (isConstructed(v)) {
    const want = path.join('.');
    if (v[TYPE_NAME] !== want) out.push(`unexpected type name "${v[TYPE_NAME]}", expected "${want}", which matches field name path from root Object type`);
    for (const [k, x] of Object.entries(v)) typeNameErrors(x, [...path, k], out);
  } else if (Array.isArray(v)) {
    for (const x of v) typeNameErrors(x, path, out);
  } else if (isPlainObject(v)) {
    for (const x of Object.values(v)) typeNameErrors(x, path, out);
  }
  return out;
}

/** Upstream's findAtomics: paths of the patch that set atomic lists, maps or structs. */
function findAtomics(schema: Schema | undefined, ref: Ref, v: unknown, path: string, out: string[]): string[] {
  const composite = isPlainObject(v) || Array.isArray(v);
  if (composite && path !== '') {
    if (ref.kind === 'leaf') out.push(path);
    else if (ref.kind === 'list' && ref.list.listType === 'atomic') out.push(path);
    else if (ref.kind === 'object' && schema?.type(ref.type)?.atomic) out.push(path);
  }
  const shape = shapeOf(schema, ref, v);
  if ((shape.kind === 'struct' || shape.kind === 'map') && isPlainObject(v)) {
    for (const [k, x] of Object.entries(v)) findAtomics(schema, entryRef(shape, k).ref, x, `${path}.${k}`, out);
  } else if (shape.kind === 'list' && Array.isArray(v)) {
    v.forEach((x, i) => findAtomics(schema, shape.item, x, `${path}[${i}]`, out));
  }
  return out;
}

/** Merges an ApplyConfiguration result into `object` (typed by `typeName` in `schema`, when known). */
export function applyConfiguration(schema: Schema | undefined, typeName: string | undefined, object: Record<string, any>, value: unknown): Applied {
  if (!isConstructed(value) || value[TYPE_NAME] !== 'Object') return { ok: false, error: `unsupported return type from ApplyConfiguration expression: ${celTypeName(value)}` };
  const names = typeNameErrors(value, ['Object'], []);
  if (names.length > 0) return { ok: false, error: `type mismatch: ${names.join('\n')}` };
  let patch: JsonObject;
  try {
    patch = celToJson(value) as JsonObject;
  } catch (err) {
    return { ok: false, error: `error applying patch: ${(err as Error).message}` };
  }
  // The patch is of the object's own kind, as upstream sets its GroupVersionKind.
  patch.apiVersion = object.apiVersion;
  patch.kind = object.kind;
  const ref = rootRef(schema, typeName);
  const typed = schema && typeName ? validateTyped(schema, typeName, patch, {}) : undefined;
  if (typed !== undefined) return { ok: false, error: `error applying patch: failed to convert patch object to typed object: ${typed}` };
  const atomics = findAtomics(schema, ref, patch, '', []);
  if (atomics.length > 0) return { ok: false, error: `error applying patch: invalid ApplyConfiguration: may not mutate atomic arrays, maps or structs: ${atomics.join(', ')}` };
  return { ok: true, object: mergeObjects(schema, ref, object, patch) as Record<string, any> };
}

/** Applies a JSONPatch result (a list of JSONPatch values) to `object`. */
export function applyJsonPatchMutation(object: Record<string, any>, value: unknown): Applied {
  if (!Array.isArray(value)) return { ok: false, error: 'type mismatch: JSONPatchType.expression should evaluate to array' };
  const ops: JsonObject[] = [];
  for (const v of value) {
    if (!isConstructed(v) || v[TYPE_NAME] !== 'JSONPatch') {
      return { ok: false, error: `type mismatch: JSONPatchType.expression should evaluate to array of JSONPatch, got element of ${celTypeName(v)}` };
    }
    const op: JsonObject = { op: String(v.op ?? ''), path: String(v.path ?? '') };
    if (typeof v.from === 'string' && v.from !== '') op.from = v.from;
    if (v.value !== undefined) {
      if (isConstructed(v.value)) {
        const names = typeNameErrors(v.value, [v.value[TYPE_NAME]], []);
        if (names.length > 0) return { ok: false, error: `type mismatch: ${names.join('\n')}` };
      }
      try {
        op.value = celToJson(v.value);
      } catch (err) {
        return { ok: false, error: `JSONPath valueExpression evaluated to a type that could not marshal to JSON: ${(err as Error).message}` };
      }
    }
    ops.push(op);
  }
  try {
    const patched = applyJsonPatch(object as JsonObject, ops);
    if (!isPlainObject(patched)) return { ok: false, error: 'JSON Patch: the patched object is not a JSON object' };
    return { ok: true, object: patched };
  } catch (err) {
    const why = err instanceof ApiError && typeof err.cause === 'string' ? err.cause : (err as Error).message;
    // A failed test operation skips the whole patch, as upstream (jsonpatch.ErrTestFailed).
    if (/^testing value .* failed$/.test(why)) return { ok: true, object };
    return { ok: false, error: `JSON Patch: ${why}` };
  }
}
