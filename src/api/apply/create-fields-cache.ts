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
 * The last shape cached per type (and reset fields): its skeleton (sameShape) and FieldsV1. A
 * create of that shape, the usual case (the pods of one template, a scheduler's Events), is
 * matched by a walk that builds nothing, instead of its shapeKey (a string as long as the
 * object's lists) and the lookup of that string. One per type, at most MAX_KEY_LENGTH-sized.
 */
const lastShapes = new WeakMap<Schema, Map<string, { skeleton: unknown; fields: FieldsV1 }>>();

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
  if (!meta || meta.managedFields !== undefined) return updateManagedFields(schema, typeName, undefined, newObj, manager, 'Update', '', time, opts);
  const kind = `${typeName}\0${opts.resetFields?.join(',') ?? ''}`;
  let last = lastShapes.get(schema);
  if (!last) lastShapes.set(schema, (last = new Map()));
  const prev = last.get(kind);
  if (prev !== undefined && sameShape(newObj, prev.skeleton, 0)) return [entry(manager, opts.apiVersion, time, prev.fields)];
  const key = shapeKey(newObj);
  if (key === undefined) return updateManagedFields(schema, typeName, undefined, newObj, manager, 'Update', '', time, opts);
  let cache = caches.get(schema);
  if (!cache) caches.set(schema, (cache = new Map()));
  const full = `${kind}\0${key}`;
  let fields = cache.get(full);
  let entries: ManagedFieldsEntry[];
  if (fields !== undefined) entries = [entry(manager, opts.apiVersion, time, fields)];
  else {
    entries = updateManagedFields(schema, typeName, undefined, newObj, manager, 'Update', '', time, opts);
    // Only the usual outcome, one entry, is kept; none (nothing to own, or a value the schema
    // refuses, which drops the entries) is computed again each time.
    fields = entries.length === 1 ? entries[0]!.fieldsV1 : undefined;
    if (fields === undefined) return entries;
    if (cache.size >= MAX_SHAPES) cache.delete(cache.keys().next().value!);
    cache.set(full, (fields = deepFreeze(fields)));
  }
  const skeleton = skeletonOf(newObj);
  if (skeleton !== undefined) last.set(kind, { skeleton, fields });
  return entries;
}

/**
 * What shapeKey reads of a value (whose key is defined): objects with their keys in order, a
 * member's scalar as its type ('', 0, false, null), lists as a JSON copy. Undefined when a list
 * would not survive the copy unchanged.
 */
function skeletonOf(v: unknown): unknown {
  switch (typeof v) {
    case 'string':
      return '';
    case 'number':
      return 0;
    case 'boolean':
      return false;
    case 'object': {
      if (v === null) return null;
      if (Array.isArray(v)) {
        const copy: unknown = JSON.parse(JSON.stringify(v));
        return jsonEqual(v, copy, 0) ? copy : undefined;
      }
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v)) {
        const c = skeletonOf((v as Record<string, unknown>)[k]);
        if (c === undefined) return undefined;
        out[k] = c;
      }
      return out;
    }
    default:
      return undefined;
  }
}

/**
 * Whether shapeKey(v) is the key of the value `skeleton` was made from: the same object keys in
 * the same order, scalars of the same JSON type, lists JSON-equal. False where unsure (then the
 * key is computed as before).
 */
function sameShape(v: unknown, skeleton: unknown, depth: number): boolean {
  switch (typeof v) {
    case 'string':
    case 'number':
    case 'boolean':
      return typeof skeleton === typeof v;
    case 'object': {
      if (v === null || skeleton === null) return v === skeleton;
      if (Array.isArray(v)) return Array.isArray(skeleton) && jsonEqual(v, skeleton, 0);
      if (depth >= MAX_DEPTH || typeof skeleton !== 'object' || Array.isArray(skeleton)) return false;
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return false;
      return sameMembers(v, skeleton as object, depth, sameShape);
    }
    default:
      return false;
  }
}

/**
 * Whether JSON.stringify gives the same text for both: plain JSON data only (ordinary objects
 * and arrays, strings, booleans, null, finite numbers); anything else (a hole, undefined, a
 * function, toJSON, another class, nesting past 512) is false.
 */
function jsonEqual(a: unknown, b: unknown, depth: number): boolean {
  switch (typeof a) {
    case 'string':
    case 'boolean':
      return a === b;
    case 'number':
      return a === b && Number.isFinite(a);
    case 'object': {
      if (a === null || b === null) return a === b;
      if (typeof b !== 'object' || depth >= 512) return false;
      if (Array.isArray(a)) {
        if (!Array.isArray(b) || Object.getPrototypeOf(a) !== Array.prototype || Object.getPrototypeOf(b) !== Array.prototype || a.length !== b.length) return false;
        for (let i = 0; i < a.length; i++) if (!(i in a) || !(i in b) || !jsonEqual(a[i], b[i], depth + 1)) return false;
        return true;
      }
      return !Array.isArray(b) && plainObject(a) && plainObject(b) && sameMembers(a, b, depth, jsonEqual);
    }
    default:
      return false;
  }
}

/** The same own keys in the same order, and `match` (one level deeper) true for each pair of members. */
function sameMembers(a: object, b: object, depth: number, match: (x: unknown, y: unknown, depth: number) => boolean): boolean {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i]!;
    if (k !== kb[i] || !match((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], depth + 1)) return false;
  }
  return true;
}

function plainObject(o: object): boolean {
  const proto = Object.getPrototypeOf(o);
  return (proto === Object.prototype || proto === null) && typeof (o as { toJSON?: unknown }).toJSON !== 'function';
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
