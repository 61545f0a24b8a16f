/**
 * Reads a PATCH body as JSON, refusing bodies nested deeper than a fixed limit before anything
 * recursive touches them: the patch functions recurse along the patch, so bounding its depth
 * bounds their stack use (fail closed, never a stack overflow).
 */
import { badRequest } from '../errors.ts';
import type { JsonValue } from './json-value.ts';

export const MAX_PATCH_DEPTH = 100;

export type ParsedBody = { ok: true; value: JsonValue } | { ok: false; message: string };

/** Deepest nesting of arrays and objects in JSON text, found without recursion or parsing. */
export function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
      if (depth > max) max = depth;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return max;
}

/**
 * Parses the body. Too deep → ApiError 400 at once; malformed JSON is returned as a message so
 * each patch format can word its error as upstream does.
 */
export function parsePatchBody(body: Buffer | string, maxDepth = MAX_PATCH_DEPTH): ParsedBody {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (nestingDepth(text) > maxDepth) {
    throw badRequest(`the patch is nested too deeply: more than ${maxDepth} levels of arrays and objects`);
  }
  if (text.trim() === '') return { ok: false, message: 'unexpected end of JSON input' };
  try {
    return { ok: true, value: JSON.parse(text) as JsonValue };
  } catch (err) {
    return { ok: false, message: `invalid JSON: ${(err as Error).message}` };
  }
}
