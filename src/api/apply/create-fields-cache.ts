/**
 * managedFields of a create, cached by the object's field shape (issue 12). A create that sends no
 * managedFields records one entry whose set is every field of the new object (update.ts
 * recordUpdate with no managers). That set depends only on the type and on which fields are
 * there, not on the values in them, except inside lists, whose items' keys (k:{"name":"c"}) and
 * set members (v:"x") are in the set. The thousands of pods of one template differ in names,
 * label values, uids and times, so they share one set: building it by walking the object and
 * encoding it was about a fifth of a pod create's CPU.
 *
 * The key (shapeKey) keeps every object key and every list whole, and replaces each scalar that is
 * a map member by its JSON type: two objects with one key have the same fields. It is not the
 * field set itself, only a cheap description that determines it; objects of one field set may
 * get different keys (member order, a list item's other values), which only costs a miss. Only
 * built-in types are cached (their schema never changes while the server runs; a CRD's can).
 * The cached FieldsV1 is deep-frozen and shared by every object it is written into, so a later
 * in-place change would throw instead of altering other objects.
 */
import type { Schema } from '../schema/types.ts';
import type { FieldsV1 } from './field-set.ts';
import type { ManagedFieldsEntry } from './managed-fields.ts';
import { metadataOf } from './object-meta.ts';
import { updateManagedFields, type UpdateOptions } from './update.ts';
import { deepFreeze } from '../../storage/deep-freeze.ts';

/** Distinct shapes kept (a server creates objects of a few templates at a time). */
export const MAX_SHAPES = 256;
/** A longer key is not cached: an object that large is rare and its key would pin memory. */
export const MAX_KEY_LENGTH = 16 * 1024;
const MAX_DEPTH = 64;

const caches = new WeakMap<Schema, Map<string, FieldsV1>>();

/**
 * The key of a value's field shape, or undefined when it is not plain JSON data within the
 * bounds. Objects: their keys in order, each followed by its value's key; lists: their JSON.
 */
export function shapeKey(v: unknown): string | undefined {
  const k = keyOf(v, 0);
  return k !== undefined && k.length <= MAX_KEY_LENGTH ? k : undefined;
}

function keyOf(v: unknown, depth: number): string | undefined {
  switch (typeof v) {
    case 'string':
      return 's';
    case 'number':
      return 'n';
    case 'boolean':
      return 'b';
    case 'object': {
      if (v === null) return 'z';
      if (Array.isArray(v)) return JSON.stringify(v);
      if (depth >= MAX_DEPTH) return undefined;
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return undefined;
      let out = '{';
      for (const k of Object.keys(v)) {
        const child = keyOf((v as Record<string, unknown>)[k], depth + 1);
        if (child === undefined) return undefined;
        out += `${JSON.stringify(k)}:${child},`;
      }
      return `${out}}`;
    }
    default:
      // undefined, functions, symbols, bigints: not JSON data; computed the long way.
      return undefined;
  }
}

/**
 * updateManagedFields for a create (no old object, main resource) of a built-in type; newObj's
 * metadata.managedFields, when the client sent some, are decoded the long way as before.
 */
export function createManagedFields(schema: Schema, typeName: string, newObj: object, manager: string, time: string, opts: UpdateOptions & { apiVersion: string }): ManagedFieldsEntry[] {
  const meta = metadataOf(newObj);
  const key = meta && meta.managedFields === undefined ? shapeKey(newObj) : undefined;
  if (key === undefined) return updateManagedFields(schema, typeName, undefined, newObj, manager, 'Update', '', time, opts);
  let cache = caches.get(schema);
  if (!cache) caches.set(schema, (cache = new Map()));
  const full = `${typeName}\0${opts.resetFields?.join(',') ?? ''}\0${key}`;
  const hit = cache.get(full);
  if (hit !== undefined) return [entry(manager, opts.apiVersion, time, hit)];
  const entries = updateManagedFields(schema, typeName, undefined, newObj, manager, 'Update', '', time, opts);
  // Only the usual outcome, one entry, is kept; none (nothing to own, or a value the schema
  // refuses, which drops the entries) is computed again each time.
  const fields = entries.length === 1 ? entries[0]!.fieldsV1 : undefined;
  if (fields !== undefined) {
    if (cache.size >= MAX_SHAPES) cache.delete(cache.keys().next().value!);
    cache.set(full, deepFreeze(fields));
  }
  return entries;
}

/** The entry encodeManagedFields writes for one Update manager of the main resource, member for member. */
function entry(manager: string, apiVersion: string, time: string, fieldsV1: FieldsV1): ManagedFieldsEntry {
  const e: ManagedFieldsEntry = {};
  if (manager) e.manager = manager;
  e.operation = 'Update';
  e.apiVersion = apiVersion;
  e.time = time;
  e.fieldsType = 'FieldsV1';
  e.fieldsV1 = fieldsV1;
  return e;
}
