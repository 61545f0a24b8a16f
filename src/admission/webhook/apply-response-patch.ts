/**
 * Applies a mutating webhook's JSONPatch to the object being admitted, in place (the caller holds
 * the object), as upstream's callAttrMutatingHook: an undecodable patch is a failed call
 * (failurePolicy decides), a patch that does not apply is an internal error.
 */
import { ApiError } from '../../api/errors.ts';
import { applyJsonPatch, decodeJsonPatch } from '../../api/patch/json-patch.ts';
import type { JsonObject, JsonValue } from '../../api/patch/json-value.ts';
import { jsonEqual } from '../../api/json-equal.ts';
import { internalError } from './errors.ts';

export class UndecodablePatch extends Error {}

/** Returns the decoded operations and whether the object changed; throws UndecodablePatch or ApiError. */
export function applyResponsePatch(webhookName: string, object: Record<string, any> | undefined, patch: Buffer, patchType: string): { ops: JsonObject[]; changed: boolean } {
  let ops: JsonObject[];
  try {
    ops = decodeJsonPatch(JSON.parse(patch.toString('utf8')) as JsonValue);
  } catch (err) {
    throw new UndecodablePatch(`received undecodable patch in webhook response: ${(err as Error).message}`);
  }
  if (ops.length === 0) return { ops, changed: false };
  if (!object) throw internalError(`admission webhook "${webhookName}" attempted to modify the object, which is not supported for this operation`);
  if (patchType !== 'JSONPatch') throw new UndecodablePatch(`unsupported patch type "${patchType}"`);
  let patched: JsonValue;
  try {
    patched = applyJsonPatch(object as JsonObject, ops);
  } catch (err) {
    const why = err instanceof ApiError && typeof err.cause === 'string' ? err.cause : (err as Error).message;
    throw internalError(why);
  }
  if (typeof patched !== 'object' || patched === null || Array.isArray(patched)) throw internalError('the patched object is not a JSON object');
  const changed = !jsonEqual(object as JsonObject, patched);
  for (const k of Object.keys(object)) delete object[k];
  Object.assign(object, patched);
  return { ops, changed };
}
