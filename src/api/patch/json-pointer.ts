/** RFC 6901 JSON pointers, as JSON patch paths use them. */

/** Splits "/a/b~1c" into ["a", "b/c"]; undefined when the text is not a pointer. */
export function parsePointer(pointer: string): string[] | undefined {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) return undefined;
  const tokens: string[] = [];
  for (const raw of pointer.slice(1).split('/')) {
    // "~" must be followed by 0 or 1; anything else is not a valid escape.
    if (/~(?![01])/.test(raw)) return undefined;
    tokens.push(raw.replaceAll('~1', '/').replaceAll('~0', '~'));
  }
  return tokens;
}

/** An array index token: "0" or digits without a leading zero (RFC 6901 section 4). */
export function parseArrayIndex(token: string): number | undefined {
  return /^(0|[1-9][0-9]*)$/.test(token) ? Number(token) : undefined;
}
