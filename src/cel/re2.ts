/**
 * Linear-time regular expressions (RE2 syntax and semantics, as Go's regexp that upstream uses)
 * for every pattern a user supplies: a backtracking JavaScript RegExp on `^([a-z]+)*$` doubles
 * its time with each input character, so one tenant string could stall the server.
 */
import { RE2JS } from 're2js';

export type Re2Compiled = { ok: true; re: RE2JS } | { ok: false; error: string };

const MAX_CACHED = 1000;
const cache = new Map<string, Re2Compiled>();

/** Compiles once per pattern (bounded cache). The error text is Go's: `error parsing regexp: ...`. */
export function compileRe2(pattern: string): Re2Compiled {
  let c = cache.get(pattern);
  if (c === undefined) {
    try {
      c = { ok: true, re: RE2JS.compile(pattern) };
    } catch (e) {
      c = { ok: false, error: e instanceof Error ? e.message : String(e) };
    }
    // FIFO eviction keeps the cache bounded whatever patterns clients send.
    if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
    cache.set(pattern, c);
  }
  return c;
}

/** Go's regexp.MatchString: true when the pattern matches anywhere in s (unanchored). Throws on a bad pattern. */
export function re2Find(pattern: string, s: string): boolean {
  const c = compileRe2(pattern);
  if (!c.ok) throw new Error(c.error);
  return c.re.matcher(s).find();
}
