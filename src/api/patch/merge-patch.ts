/**
 * JSON Merge Patch (RFC 7386, application/merge-patch+json): objects merge recursively, null
 * deletes a key, anything else (arrays included) replaces.
 *
 * Upstream (evanphx/json-patch MergePatch behind kube-apiserver) answers a patch that is null or a
 * scalar with 400 "Invalid JSON Patch"; a top-level array becomes the whole document, which then
 * fails to decode as the object and is answered 422 Invalid on the field "patch".
 */
import { badRequest, invalid } from '../errors.ts';
import { getKey, hasKey, isObject, putKey, removeKey, cloneJson } from './json-value.ts';
import type { JsonObject, JsonValue } from './json-value.ts';

export const INVALID_JSON_PATCH = 'Invalid JSON Patch';

export function applyMergePatch(original: JsonValue, patch: JsonValue): JsonValue {
  if (Array.isArray(patch)) {
    throw invalid('', '', '', [
      {
        reason: 'FieldValueInvalid',
        field: 'patch',
        message: `Invalid value: ${JSON.stringify(JSON.stringify(patch))}: json: cannot unmarshal array into an object`,
      },
    ]);
  }
  if (!isObject(patch)) throw badRequest(INVALID_JSON_PATCH);
  return mergeValue(cloneJson(original), patch);
}

/** RFC 7386 MergePatch(target, patch); `target` is owned by the caller and may be reused. */
function mergeValue(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isObject(patch)) return cloneJson(patch);
  const out: JsonObject = isObject(target) ? target : {};
  for (const key of Object.keys(patch)) {
    const value = patch[key] as JsonValue;
    if (value === null) {
      removeKey(out, key);
    } else {
      putKey(out, key, mergeValue(hasKey(out, key) ? getKey(out, key) : undefined, value));
    }
  }
  return out;
}
