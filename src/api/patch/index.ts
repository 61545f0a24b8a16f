/**
 * PATCH bodies in the three patch formats kube-apiserver applies itself (server-side apply,
 * application/apply-patch+yaml, lives in src/api/apply). Pure: the original is never mutated.
 */
import { badRequest, internalError } from '../errors.ts';
import { assertMaxDepth } from '../codecs/depth.ts';
import type { Schema } from '../schema/types.ts';
import { goJsonKind } from './go-format.ts';
import { applyJsonPatch } from './json-patch.ts';
import type { JsonValue } from './json-value.ts';
import { INVALID_JSON_PATCH, applyMergePatch } from './merge-patch.ts';
import { PatchBody } from './parse-body.ts';
import { unsupportedMediaType } from './patch-errors.ts';
import { strategicMergePatch } from './strategic-merge-patch.ts';

export { applyJsonPatch, MAX_JSON_PATCH_OPERATIONS } from './json-patch.ts';
export { applyMergePatch } from './merge-patch.ts';
export { strategicMergePatch } from './strategic-merge-patch.ts';
export { MAX_PATCH_DEPTH, PatchBody } from './parse-body.ts';

export const JSON_PATCH = 'application/json-patch+json';
export const MERGE_PATCH = 'application/merge-patch+json';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';
export const APPLY_PATCH = 'application/apply-patch+yaml';

/** What upstream accepts for custom resources (no strategic merge patch: there is no schema to guide it). */
export const CUSTOM_RESOURCE_PATCH_TYPES = [JSON_PATCH, MERGE_PATCH, APPLY_PATCH] as const;
/** What upstream accepts for built-in kinds. */
export const BUILT_IN_PATCH_TYPES = [JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH] as const;

export interface PatchOptions {
  /** The schema guiding a strategic merge patch. */
  schema?: Schema;
  /** The schema type of the object (e.g. "k8s.io.api.core.v1.Pod"); absent for custom resources. */
  typeName?: string;
}

/**
 * Applies a PATCH body to `original` according to the request's Content-Type (parameters such as
 * charset are ignored, as upstream does). Throws ApiError: 415 for a media type it does not
 * apply (strategic merge patch without a typeName included), 400 for a malformed or too deeply
 * nested body, and the per-format codes of json-patch.ts, merge-patch.ts, strategic-merge-patch.ts.
 * A PatchBody is parsed once across calls (parse-body.ts).
 */
export function applyPatch(contentType: string, original: object, patchBody: Buffer | string | PatchBody, opts: PatchOptions): object {
  const patched = patchObject(contentType, original, patchBody, opts);
  // A bounded patch can still deepen the object (a JSON patch adds a deep value at a deep path,
  // again on every request): the result is held to the same bound as a decoded body.
  assertMaxDepth(patched);
  return patched;
}

function patchObject(contentType: string, original: object, patchBody: Buffer | string | PatchBody, opts: PatchOptions): object {
  const mediaType = (contentType.split(';')[0] ?? '').trim();
  const builtIn = opts.typeName !== undefined && opts.schema !== undefined;
  const accepted = builtIn ? BUILT_IN_PATCH_TYPES : CUSTOM_RESOURCE_PATCH_TYPES;
  if (mediaType === APPLY_PATCH) {
    // A routing mistake in the caller, not a client error: apply has its own implementation.
    throw internalError('server-side apply patches are not handled by applyPatch');
  }
  if (mediaType !== JSON_PATCH && mediaType !== MERGE_PATCH && !(mediaType === STRATEGIC_MERGE_PATCH && builtIn)) {
    throw unsupportedMediaType(accepted);
  }

  const parsed = (patchBody instanceof PatchBody ? patchBody : new PatchBody(patchBody)).parsed;
  const doc = original as JsonValue;
  if (mediaType === MERGE_PATCH) {
    // evanphx/json-patch answers any syntax error with ErrBadJSONPatch.
    if (!parsed.ok) throw badRequest(INVALID_JSON_PATCH);
    return applyMergePatch(doc, parsed.value) as object;
  }
  if (!parsed.ok) throw badRequest(parsed.message);
  if (mediaType === JSON_PATCH) return applyJsonPatch(doc, parsed.value) as object;

  // Upstream decodes the body into map[string]interface{}: null is an empty patch, non-objects are 400.
  const patch = parsed.value ?? {};
  if (typeof patch !== 'object' || Array.isArray(patch)) {
    throw badRequest(`json: cannot unmarshal ${goJsonKind(patch)} into Go value of type map[string]interface {}`);
  }
  return strategicMergePatch(opts.schema as Schema, opts.typeName as string, original, patch);
}
