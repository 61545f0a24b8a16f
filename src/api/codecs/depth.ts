import { badRequest, tooLarge } from '../errors.ts';
import { MAX_BODY_BYTES, MAX_NESTING_DEPTH } from './limits.ts';

export function tooDeep(limit: number): Error {
  return badRequest(`the request body is nested deeper than the maximum depth of ${limit}`);
}

/** Rejects values nested deeper than the limit, without recursion (so the check itself cannot overflow). */
export function assertMaxDepth(value: unknown, limit = MAX_NESTING_DEPTH): void {
  if (exceedsDepth(value, limit)) throw tooDeep(limit);
}

/**
 * Whether the value parsed from JSON `text` may nest deeper than `limit`: false when the text has
 * at most `limit` opening brackets ('{' or '['), since each level of nesting takes one (a bracket
 * inside a string only adds to the count). Most bodies have far fewer than the bound, and then
 * need no walk of their value.
 */
export function jsonMayExceedDepth(text: string, limit = MAX_NESTING_DEPTH): boolean {
  let n = 0;
  for (let i = text.indexOf('{'); i >= 0; i = text.indexOf('{', i + 1)) if (++n > limit) return true;
  for (let i = text.indexOf('['); i >= 0; i = text.indexOf('[', i + 1)) if (++n > limit) return true;
  return false;
}

/**
 * Recursion this deep is safe on any stack; the walk below never goes more than `limit` + 1
 * calls down, since it stops at the first value past the limit.
 */
const RECURSIVE_LIMIT = 1000;

/**
 * Whether `value` nests deeper than `limit`; safe on any stored value. For the limits in use
 * (100 and below) a recursive walk, which allocates nothing (a bound pod's managedFields ~1.2 ->
 * ~0.8 us, the whole pod, as every patch checks it, ~2.4 -> ~1.5 us); past RECURSIVE_LIMIT an
 * iterative one.
 */
export function exceedsDepth(value: unknown, limit = MAX_NESTING_DEPTH): boolean {
  return limit <= RECURSIVE_LIMIT ? deeperThan(value, 1, limit) : exceedsDepthIterative(value, limit);
}

function deeperThan(v: unknown, d: number, limit: number): boolean {
  if (v === null || typeof v !== 'object') return false;
  if (d > limit) return true;
  if (Array.isArray(v)) {
    for (const x of v) if (deeperThan(x, d + 1, limit)) return true;
  } else {
    for (const k in v as Record<string, unknown>) if (deeperThan((v as Record<string, unknown>)[k], d + 1, limit)) return true;
  }
  return false;
}

/** The same answer with an explicit stack: no recursion at all, whatever the limit. */
export function exceedsDepthIterative(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d > limit) return true;
    if (Array.isArray(v)) for (const x of v) stack.push([x, d + 1]);
    else for (const k in v as Record<string, unknown>) stack.push([(v as Record<string, unknown>)[k], d + 1]);
  }
  return false;
}

/**
 * Rejects a decoded value whose JSON form would exceed `maxBytes`, or that nests deeper than
 * `maxDepth`. Shared subtrees (YAML aliases decode to one shared JS value) are counted every
 * time they occur, as serialising would write them: that is the amplification a small YAML body
 * can hide. Every node visited adds at least one byte, so the walk itself stops after at most
 * `maxBytes` steps however the value is shaped (a cycle runs into the depth bound).
 */
export function assertExpandedWithin(value: unknown, maxBytes = MAX_BODY_BYTES, maxDepth = MAX_NESTING_DEPTH): void {
  let bytes = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    bytes += 1; // the separator or bracket around this value
    if (v === null || v === undefined) bytes += 4;
    else if (typeof v === 'string') bytes += v.length + 2;
    else if (typeof v !== 'object') bytes += String(v).length;
    else {
      if (d > maxDepth) throw tooDeep(maxDepth);
      bytes += 1;
      if (Array.isArray(v)) for (const x of v) stack.push([x, d + 1]);
      else {
        for (const k in v as Record<string, unknown>) {
          bytes += k.length + 3;
          stack.push([(v as Record<string, unknown>)[k], d + 1]);
        }
      }
    }
    if (bytes > maxBytes) throw tooLarge(maxBytes);
  }
}
