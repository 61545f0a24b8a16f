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
 * A deep copy (the patch functions never mutate their inputs). Iterative: documents built by
 * JSON patch operations can nest deeper than the stack allows a recursive copy to go.
 */
export function cloneJson<T>(v: T): T {
  const value = v as JsonValue;
  const root = emptyLike(value);
  if (root === value) return v;
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
  return root as T;
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
