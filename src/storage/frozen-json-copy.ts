/**
 * A deep-frozen copy of a value, equal to deepFreeze(JSON.parse(JSON.stringify(value))), made
 * without the parse: the SQLite store serialises every written value for its row, and the object
 * it shares with the writer's answer and the watchers used to be parsed back from that text. A
 * copy of the plain data the API layer writes is several times cheaper than the parse.
 *
 * Exact only for plain JSON data: ordinary objects and arrays, strings, booleans, null and
 * finite numbers, with object members whose value is undefined, a function or a symbol left out
 * as JSON.stringify leaves them out. For anything whose JSON form is not a plain copy (toJSON,
 * a Date, a Buffer, a class instance, undefined or a function in an array, a hole, a non-finite
 * number, a '__proto__' key, nesting past MAX_DEPTH) it returns undefined and the caller parses.
 *
 * Memory (issue 12: every stored object is held by the watch cache, older versions by its event
 * ring): below the root, a member that is already deep-frozen plain JSON data is shared, not
 * copied. The API layer builds an update from the stored, frozen object, so the spec a status
 * write leaves alone, the create's cached FieldsV1 (api/apply/create-fields-cache.ts) and frozen
 * defaults are one object for every version and every pod that has them. An empty object or
 * array below the root is one shared frozen instance (deep-freeze.ts), and a short string value
 * one shared instance (intern.ts). The root is always a new object (per-object caches key on it).
 */
import { EMPTY_ARRAY, EMPTY_OBJECT } from './deep-freeze.ts';
import { intern } from './intern.ts';

const MAX_DEPTH = 512;
const NO_COPY = Symbol('no copy');

export function frozenJsonCopy(value: unknown): unknown {
  const out = copy(value, 0);
  return out === NO_COPY ? undefined : out;
}

/**
 * True when `v`, frozen, is deep-frozen data that JSON gives back unchanged: then sharing it is
 * the same as copying it (and nobody can change it later). A walk without allocation, cheaper
 * than the copy.
 */
function isFrozenJson(v: object, depth: number): boolean {
  if (depth >= MAX_DEPTH || !Object.isFrozen(v)) return false;
  if (Array.isArray(v)) {
    if (Object.getPrototypeOf(v) !== Array.prototype) return false;
    for (let i = 0; i < v.length; i++) {
      if (!(i in v) || !isJsonMember(v[i], depth)) return false;
    }
    return true;
  }
  // Not a null prototype either: the copy of one has Object.prototype, as JSON.parse gives.
  if (Object.getPrototypeOf(v) !== Object.prototype || typeof (v as { toJSON?: unknown }).toJSON === 'function') return false;
  for (const k of Object.keys(v)) {
    // A member JSON leaves out (undefined, a function) makes the copy differ from the original.
    if (k === '__proto__' || !isJsonMember((v as Record<string, unknown>)[k], depth)) return false;
  }
  return true;
}

function isJsonMember(x: unknown, depth: number): boolean {
  switch (typeof x) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(x) && !Object.is(x, -0);
    case 'object':
      return x === null || isFrozenJson(x, depth + 1);
    default:
      return false;
  }
}

function copy(v: unknown, depth: number): unknown {
  switch (typeof v) {
    case 'string':
      return intern(v);
    case 'boolean':
      return v;
    case 'number':
      // -0 is written as 0; NaN and the infinities as null: left to the parse.
      return Number.isFinite(v) ? (v === 0 ? 0 : v) : NO_COPY;
    case 'object':
      if (v === null) return null;
      if (depth >= MAX_DEPTH) return NO_COPY;
      if (depth > 0 && isFrozenJson(v, depth)) return v;
      return Array.isArray(v) ? copyArray(v, depth + 1) : copyObject(v as Record<string, unknown>, depth + 1);
    default:
      return NO_COPY;
  }
}

function copyArray(a: unknown[], depth: number): unknown {
  if (Object.getPrototypeOf(a) !== Array.prototype) return NO_COPY;
  const n = a.length;
  if (n === 0 && depth > 1) return EMPTY_ARRAY;
  const out = new Array<unknown>(n);
  for (let i = 0; i < n; i++) {
    const x = copy(a[i], depth);
    if (x === NO_COPY) return NO_COPY;
    out[i] = x;
  }
  return Object.freeze(out);
}

function copyObject(o: Record<string, unknown>, depth: number): unknown {
  const proto = Object.getPrototypeOf(o);
  if ((proto !== Object.prototype && proto !== null) || typeof o.toJSON === 'function') return NO_COPY;
  const keys = Object.keys(o);
  if (keys.length === 0 && depth > 1) return EMPTY_OBJECT;
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const x = o[k];
    // JSON.stringify leaves these members out.
    if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
    if (k === '__proto__') return NO_COPY;
    const c = copy(x, depth);
    if (c === NO_COPY) return NO_COPY;
    out[k] = c;
  }
  return Object.freeze(out);
}
