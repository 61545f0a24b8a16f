/**
 * Typed decoding of request bodies and patch results (see src/api/schema/type-check.ts), with the
 * status upstream answers: a body that does not decode is 400 BadRequest ("Pod in version "v1"
 * cannot be handled as a Pod: json: cannot unmarshal ..."); a patch whose result does not decode
 * is 422 Invalid on the field "patch", carrying the patched document (JSON and merge patches) or
 * the patch map (strategic merge patches) as the invalid value.
 */
import { ApiError, badRequest } from '../../api/errors.ts';
import { findTypeError } from '../../api/schema/type-check.ts';
import { goFormat } from '../../api/schema/go-format.ts';
import type { PatchBody } from '../../api/patch/parse-body.ts';
import type { RestContext, RestRequest } from './context.ts';
import type { K8sObject } from './objects.ts';

/** The schema type of a kind addressed by apiVersion, or undefined (custom resources, unknown kinds). */
function typeNameFor(ctx: RestContext, req: RestRequest, apiVersion: string, kind: string): string | undefined {
  // Custom resources are checked by their own structural schema.
  if (req.def.custom && kind === req.def.kind) return undefined;
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  return ctx.schema.typeNameForKind({ group, version, kind });
}

/** A create or update body, after apiVersion and kind were checked against the URL's. */
export function checkBodyTypes(ctx: RestContext, req: RestRequest, obj: K8sObject, expect: { apiVersion: string; kind: string }): void {
  const typeName = typeNameFor(ctx, req, expect.apiVersion, expect.kind);
  if (!typeName) return;
  const err = findTypeError(ctx.schema, typeName, obj, 'json');
  if (!err) return;
  const version = expect.apiVersion.slice(expect.apiVersion.indexOf('/') + 1);
  throw badRequest(`${expect.kind} in version ${JSON.stringify(version)} cannot be handled as a ${expect.kind}: ${err}`);
}

/**
 * What of a patch's result came from the patch: for a JSON merge patch the part it names
 * (mergePatchedPart), for the other kinds the whole result. Types and unknown fields are checked
 * there only; the rest is the stored object, checked (and pruned) when it was written.
 */
export function patchedPart(patched: unknown, mediaType: string, patchBody: PatchBody): unknown {
  if (mediaType !== 'application/merge-patch+json') return patched;
  // applyPatch has parsed (and refused a malformed) body already; not JSON checks the whole object.
  const parsed = patchBody.parsed;
  return mergePatchedPart(patched, parsed.ok ? parsed.value : undefined);
}

/**
 * The object a JSON, merge or strategic merge patch produced, before anything else reads it;
 * `checked` is its patchedPart.
 */
export function checkPatchedTypes(ctx: RestContext, req: RestRequest, patched: unknown, mediaType: string, patchBody: PatchBody, checked: unknown = patchedPart(patched, mediaType, patchBody)): void {
  const typeName = typeNameFor(ctx, req, String((patched as K8sObject).apiVersion ?? ''), String((patched as K8sObject).kind ?? ''))
    ?? (req.def.custom ? undefined : req.def.typeName);
  if (!typeName) return;
  const strategic = mediaType === 'application/strategic-merge-patch+json';
  const err = findTypeError(ctx.schema, typeName, checked, strategic ? 'unstructured' : 'json');
  if (!err) return;
  // apimachinery's json.Unmarshal decodes integers as int64, so 1000000 prints as such.
  const value = strategic ? goFormat(JSON.parse(patchBody.raw.toString()), { numbers: 'int64' }) : sortedJson(patched);
  const message = `Invalid value: ${JSON.stringify(value)}: ${err}`;
  // errors.NewInvalid(schema.GroupKind{}, "", ...): no kind, no name.
  throw new ApiError(422, 'Invalid', `"" is invalid: patch: ${message}`, { causes: [{ reason: 'FieldValueInvalid', message, field: 'patch' }] });
}

/**
 * What a JSON merge patch can have changed: the patched object cut down to the keys the patch
 * names (at every level where the patch holds an object), in the patched object's order. The
 * rest is the stored object, whose types were checked when it was written, so a kubelet's status
 * patch or a Lease renewal does not type-check the whole object again; the first error in the
 * part is the first in the whole document.
 */
export function mergePatchedPart(patched: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch) || !isJsonObject(patched)) return patched;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(patched)) {
    if (!Object.hasOwn(patch, k)) continue;
    // As data, so that a "__proto__" key stays a key.
    Object.defineProperty(out, k, { value: mergePatchedPart(patched[k], patch[k]), writable: true, enumerable: true, configurable: true });
  }
  return out;
}

function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Upstream re-marshals the patched document from a Go map: keys sorted, compact. */
function sortedJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
  );
}
