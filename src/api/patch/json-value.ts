/**
 * JSON values as the patch functions see them, and the few helpers they share.
 *
 * Keys are read and written through hasKey/getKey/putKey so that a key named "__proto__" stays an
 * ordinary data property: a patch must never reach an object's prototype.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function hasKey(o: JsonObject, key: string): boolean {
  return Object.hasOwn(o, key);
}

export function getKey(o: JsonObject, key: string): JsonValue | undefined {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

export function putKey(o: JsonObject, key: string, value: JsonValue): void {
  Object.defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
}

export function removeKey(o: JsonObject, key: string): void {
  delete o[key];
}

/**
 * A deep copy (the patch functions never mutate their inputs; the write path copies stored
 * objects with it too). A plain recursive copy for the usual shallow objects (several times
 * faster than structuredClone or the iterative walk), and an iterative one for documents nested
 * deeper than that, as JSON patch operations can build, beyond what the stack allows.
 */
export function cloneJson<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v;
  try {
    return copyRecursive(v as JsonValue, 0) as T;
  } catch (err) {
    if (err === TOO_DEEP) return copyIterative(v as JsonValue) as T;
    throw err;
  }
}

const MAX_RECURSION = 256;
const TOO_DEEP = new Error('nested too deeply for a recursive copy');

function copyRecursive(v: JsonValue, depth: number): JsonValue {
  if (v === null || typeof v !== 'object') return v;
  if (depth > MAX_RECURSION) throw TOO_DEEP;
  if (Array.isArray(v)) {
    const out: JsonValue[] = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = copyRecursive(v[i]!, depth + 1);
    return out;
  }
  const out: JsonObject = {};
  for (const k of Object.keys(v)) {
    const x = copyRecursive(v[k]!, depth + 1);
    if (k === '__proto__') putKey(out, k, x);
    else out[k] = x;
  }
  return out;
}

function copyIterative(value: JsonValue): JsonValue {
  const root = emptyLike(value);
  if (root === value) return value;
  const stack: [JsonValue, JsonValue][] = [[value, root]];
  while (stack.length > 0) {
    const [src, dst] = stack.pop() as [JsonValue, JsonValue];
    const entries: [string, JsonValue][] = Array.isArray(src) ? src.map((x, i) => [String(i), x]) : Object.entries(src as JsonObject);
    for (const [key, child] of entries) {
      const copy = emptyLike(child);
      if (Array.isArray(dst)) dst.push(copy);
      else putKey(dst as JsonObject, key, copy);
      if (copy !== child) stack.push([child, copy]);
    }
  }
  return root;
}

/** A new empty array or object for a container, the value itself for a scalar. */
function emptyLike(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return [];
  return isObject(v) ? {} : v;
}

/** Whether a value nests arrays and objects deeper than `limit`; iterative, so any depth is safe. */
export function deeperThan(v: JsonValue, limit: number): boolean {
  const stack: [JsonValue, number][] = [[v, 0]];
  while (stack.length > 0) {
    const [cur, depth] = stack.pop() as [JsonValue, number];
    if (cur === null || typeof cur !== 'object') continue;
    if (depth + 1 > limit) return true;
    for (const child of Array.isArray(cur) ? cur : Object.values(cur)) stack.push([child, depth + 1]);
  }
  return false;
}
