/** Text helpers that reproduce upstream's message formatting (policy/helpers.go, Go's %q). */
import type { CheckResult } from './types.ts';

export const ALLOWED: CheckResult = Object.freeze({ allowed: true });

export function forbidden(reason: string, detail: string): CheckResult {
  return { allowed: false, forbiddenReason: reason, forbiddenDetail: detail };
}

/** `"a", "b"`: each item wrapped in double quotes, without escaping (upstream joinQuote). */
export function joinQuote(items: readonly string[]): string {
  return items.length === 0 ? '' : `"${items.join('", "')}"`;
}

export function pluralize(singular: string, plural: string, count: number): string {
  return count === 1 ? singular : plural;
}

/** A sets.String's List(): unique, sorted (UTF-16 order; Go's byte order differs only past U+FFFF). */
export function sortedUnique(items: Iterable<string>): string[] {
  return [...new Set(items)].sort();
}

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
const SHORT_ESCAPES: Record<number, string> = {
  0x07: '\\a', 0x08: '\\b', 0x0c: '\\f', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x0b: '\\v',
};

/** Go's strconv.Quote (fmt %q) for a string: messages quote label and annotation values this way. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (cp >= 0x20 && cp < 0x7f) out += ch;
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\\ufffd'; // lone surrogate: invalid UTF-8 in Go
    else if (cp >= 0x80 && PRINTABLE.test(ch)) out += ch;
    else if (SHORT_ESCAPES[cp] !== undefined) out += SHORT_ESCAPES[cp];
    else if (cp < 0x80) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp < 0x10000) out += '\\u' + cp.toString(16).padStart(4, '0');
    else out += '\\U' + cp.toString(16).padStart(8, '0');
  }
  return out + '"';
}
