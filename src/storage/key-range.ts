/**
 * Key order and prefix ranges shared by every backend.
 *
 * Keys are ordered by Unicode code point. That is the order SQLite's BINARY collation gives
 * UTF-8 text and the order etcd gives byte strings, so a continue token made by one layer (the
 * watch cache, in memory) resumes at the same place in another (SQLite, on disk).
 */

function isSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdfff;
}

/** Compare two keys by code point (JS `<` compares UTF-16 units, which differs above U+D7FF). */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate encodes a code point above U+FFFF, so it sorts after any BMP unit.
    const sx = isSurrogate(x);
    if (sx !== isSurrogate(y)) return sx ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/**
 * The smallest key greater than every key starting with `prefix`, or undefined when there is
 * none (empty prefix, or a prefix of only U+10FFFF). Keys under the prefix are [prefix, end).
 */
export function prefixEnd(prefix: string): string | undefined {
  // The usual case, without the general path's arrays (every list on the watch cache asks):
  // a last unit that is neither a surrogate nor the last BMP code point simply goes up by one.
  const last = prefix.length > 0 ? prefix.charCodeAt(prefix.length - 1) : -1;
  if (last >= 0 && last < 0xffff && !isSurrogate(last) && last !== 0xd7ff) return prefix.slice(0, -1) + String.fromCharCode(last + 1);
  const points = Array.from(prefix, (c) => c.codePointAt(0) as number);
  while (points.length > 0) {
    const last = points.pop() as number;
    if (last < 0x10ffff) {
      // Skip the surrogate block: those code points cannot appear in well-formed text.
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
      return String.fromCodePoint(...points, next);
    }
  }
  return undefined;
}

/** Keys must be non-empty, well-formed text: a lone surrogate cannot round-trip through UTF-8. */
export function isValidKey(key: unknown): key is string {
  return typeof key === 'string' && key.length > 0 && !/\p{Cs}/u.test(key);
}
