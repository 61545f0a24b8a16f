/**
 * Reads a PATCH body as JSON, refusing bodies nested deeper than a fixed limit before anything
 * recursive touches them: the patch functions recurse along the patch, so bounding its depth
 * bounds their stack use (fail closed, never a stack overflow).
 */
import { badRequest } from '../errors.ts';
import type { JsonValue } from './json-value.ts';
import { MAX_NESTING_DEPTH } from '../codecs/limits.ts';
import { nestingDepth } from '../codecs/nesting-depth.ts';

export { nestingDepth };
export const MAX_PATCH_DEPTH = MAX_NESTING_DEPTH;

export type ParsedBody = { ok: true; value: JsonValue } | { ok: false; message: string };

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

/**
 * A PATCH body read at most once: applyPatch parses it when it first needs it (after the media
 * type was accepted, so a 415 still comes before a 400), and what else reads the patch (the merge
 * patch's part to type-check, a retried attempt) takes the same parse. The patch functions copy
 * every value they take from it, so one parse serves every attempt.
 */
export class PatchBody {
  readonly raw: Buffer | string;
  private result: ParsedBody | undefined;
  constructor(raw: Buffer | string) {
    this.raw = raw;
  }
  /** parsePatchBody(raw), kept once it answered (a too-deep body throws each time). */
  get parsed(): ParsedBody {
    return (this.result ??= parsePatchBody(this.raw));
  }
}
