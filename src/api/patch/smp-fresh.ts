/**
 * A strategic-merge-patch value that has nothing under it in the object (a new key, a value of a
 * different type, a new list element, a replaced map or list). Upstream (apimachinery 1.36
 * mergeMap: discardNullValuesFromPatch + removeDirectives) drops its null entries and every map
 * carrying a `$patch` directive, so that no directive is ever stored. The parallel-list and
 * retainKeys directive keys mean nothing without an original value; they are dropped too rather
 * than stored as data.
 */
import { hasKey, isObject, putKey } from './json-value.ts';
import type { JsonObject, JsonValue } from './json-value.ts';
import {
  DELETE_FROM_PRIMITIVE_LIST_PREFIX,
  DIRECTIVE_MARKER,
  RETAIN_KEYS_DIRECTIVE,
  SET_ELEMENT_ORDER_PREFIX,
} from './smp-errors.ts';

/** The value to store, or undefined when the whole value is a directive and must be dropped. */
export function freshValue(v: JsonValue): JsonValue | undefined {
  if (Array.isArray(v)) {
    const out: JsonValue[] = [];
    for (const item of v) {
      const f = freshValue(item);
      if (f !== undefined) out.push(f);
    }
    return out;
  }
  if (!isObject(v)) return v;
  if (hasKey(v, DIRECTIVE_MARKER)) return undefined;
  const out: JsonObject = {};
  for (const key of Object.keys(v)) {
    const value = v[key] as JsonValue;
    if (value === null || isDirectiveKey(key)) continue;
    const f = freshValue(value);
    if (f !== undefined) putKey(out, key, f);
  }
  return out;
}

function isDirectiveKey(key: string): boolean {
  return (
    key === RETAIN_KEYS_DIRECTIVE ||
    key.startsWith(`${SET_ELEMENT_ORDER_PREFIX}/`) ||
    key.startsWith(`${DELETE_FROM_PRIMITIVE_LIST_PREFIX}/`)
  );
}
