import { badRequest } from '../../api/errors.ts';
import { decodeProtobufObject } from '../../api/codecs/protobuf.ts';
import { mediaType, OBJECT_MEDIA_TYPES, parseJsonBody, parseYamlBody, requireObject, unsupportedMediaType } from '../../api/codecs/decode-body.ts';
import { findUnknownFields } from '../../api/schema/unknown-fields.ts';
import { pruneUnknownFields } from '../../api/schema/prune.ts';
import { pruneUnknown } from '../../api/crd/prune.ts';
import type { JSONSchemaProps } from '../../api/crd/json-schema-props.ts';
import { groupVersion } from '../../api/registry/resource-def.ts';
import type { RestContext, RestRequest } from './context.ts';
import type { K8sObject } from './objects.ts';
import { checkBodyTypes } from './typed-decode.ts';

/** Decodes a create/update body (JSON, YAML or protobuf) into an object of the request's kind. */
export function decodeObject(ctx: RestContext, req: RestRequest, expect: { apiVersion: string; kind: string } = { apiVersion: groupVersion(req.def), kind: req.def.kind }): K8sObject {
  const body = req.body ?? Buffer.alloc(0);
  if (body.length === 0) throw badRequest('request body must not be empty');
  const mt = mediaType(header(req, 'content-type'));
  let raw: unknown;
  if (mt === 'application/json' || mt === '') raw = parseJsonBody(body.toString('utf8'));
  else if (mt === 'application/yaml') raw = parseYamlBody(body.toString('utf8'));
  else if (mt === 'application/vnd.kubernetes.protobuf') raw = decodeProtobufObject(ctx.schema, body);
  else throw unsupportedMediaType(OBJECT_MEDIA_TYPES);
  const obj = requireObject(raw) as K8sObject;

  // apiVersion/kind default to the URL's; when given they must match it.
  if (obj.apiVersion === undefined || obj.apiVersion === '') obj.apiVersion = expect.apiVersion;
  if (obj.kind === undefined || obj.kind === '') obj.kind = expect.kind;
  if (obj.apiVersion !== expect.apiVersion) {
    throw badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${expect.apiVersion})`);
  }
  if (obj.kind !== expect.kind) {
    throw badRequest(`the kind in the data (${obj.kind}) does not match the expected kind (${expect.kind})`);
  }
  if (obj.metadata === undefined || obj.metadata === null) obj.metadata = {};
  if (typeof obj.metadata !== 'object' || Array.isArray(obj.metadata)) throw badRequest('metadata must be an object');
  checkBodyTypes(ctx, req, obj, expect);
  applyFieldValidation(ctx, req, obj, expect.kind === req.def.kind ? req.def.typeName : undefined);
  return obj;
}

/**
 * fieldValidation=Strict|Warn|Ignore (default Warn) for unknown fields. Upstream answers Strict
 * violations with 400 BadRequest ("strict decoding error: unknown field ..."); unknown fields
 * are dropped from built-in kinds in every mode, as decoding into typed structs does upstream.
 * `scope`: the part of obj where a built-in kind's unknown fields can be (a merge patch's part,
 * typed-decode.ts patchedPart: the rest was pruned when it was stored); the whole of obj by default.
 */
export function applyFieldValidation(ctx: RestContext, req: RestRequest, obj: K8sObject, typeName: string | undefined, scope: unknown = obj): void {
  const mode = fieldValidationMode(req.query);
  let unknown: string[];
  const custom = req.def.custom as { schema?: JSONSchemaProps; preserveUnknownFields?: boolean } | undefined;
  if (custom) {
    // Custom resources are pruned by their CRD's structural schema.
    if (!custom.schema) return;
    const copy = structuredClone(obj);
    unknown = pruneUnknown(custom.schema, copy);
    if (unknown.length > 0 && mode === 'Strict') throw strictError(unknown);
    if (unknown.length > 0) pruneUnknown(custom.schema, obj);
  } else {
    if (!typeName || !ctx.schema.type(typeName)) return;
    unknown = findUnknownFields(ctx.schema, typeName, scope);
    if (unknown.length === 0) return;
    if (mode === 'Strict') throw strictError(unknown);
    pruneUnknownFields(ctx.schema, typeName, obj);
  }
  if (mode === 'Warn') for (const p of unknown) req.warnings.push(`unknown field "${p}"`);
}

function strictError(unknown: string[]) {
  return badRequest(`strict decoding error: ${unknown.map((p) => `unknown field "${p}"`).join(', ')}`);
}

export function fieldValidationMode(q: URLSearchParams): 'Strict' | 'Warn' | 'Ignore' {
  const v = q.get('fieldValidation');
  if (v === null || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw badRequest(`fieldValidation: Unsupported value: "${v}": supported values: "Ignore", "Strict", "Warn"`);
}

export function header(req: RestRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** dryRun=All from the query (create, update, patch) or DeleteOptions. */
export function dryRunFrom(values: string[]): boolean {
  for (const v of values) if (v !== 'All') throw badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  return values.length > 0;
}
