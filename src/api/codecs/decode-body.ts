import { parseDocument } from 'yaml';
import { ApiError, badRequest } from '../errors.ts';
import { assertExpandedWithin, assertMaxDepth, jsonMayExceedDepth, tooDeep } from './depth.ts';
import { MAX_NESTING_DEPTH } from './limits.ts';
import { yamlMayExceedDepth } from './yaml-depth.ts';
import { hasDuplicateKeys } from './yaml-unique-keys.ts';

/** Media types a body may arrive in, by request kind. */
export const OBJECT_MEDIA_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
export const PATCH_MEDIA_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

export function unsupportedMediaType(accepted: string[]): ApiError {
  return new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );
}

/** JSON text to a value, with upstream's 400 on malformed input and a nesting bound. */
export function parseJsonBody(text: string): unknown {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
  if (jsonMayExceedDepth(text)) assertMaxDepth(v);
  return v;
}

/**
 * YAML text to a value. One document only; duplicate keys are an error as in strict decoding
 * (found in linear time: yaml-unique-keys.ts).
 * Aliases are bounded twice: by count (a "billion laughs" body is refused before it is built)
 * and by expanded size, since each alias of a large anchor is written out again in full when the
 * object is serialised: the expanded document must fit the same limit as a request body.
 * Nesting is bounded as for JSON (400, the same message), and a text that may nest more than
 * four times the bound is refused before the library composes it: its recursion would overflow
 * the stack some thousand levels down, and a million levels take it seconds of CPU.
 */
export function parseYamlBody(text: string): unknown {
  if (yamlMayExceedDepth(text, 4 * MAX_NESTING_DEPTH)) throw tooDeep(MAX_NESTING_DEPTH);
  // Unique keys are checked below in linear time (the library's own check is quadratic).
  const doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false, strict: true });
  if (doc.errors.length > 0) throw badRequest(`error converting YAML to JSON: ${doc.errors[0]!.message}`);
  if (hasDuplicateKeys(doc)) throw badRequest('error converting YAML to JSON: Map keys must be unique');
  let v: unknown;
  try {
    v = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw badRequest(`error converting YAML to JSON: ${(err as Error).message}`);
  }
  assertExpandedWithin(v);
  return v;
}

export function requireObject(v: unknown): Record<string, any> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw badRequest("couldn't get version/kind; json parse error: the request body must be a JSON object");
  }
  return v as Record<string, any>;
}
