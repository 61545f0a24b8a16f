/**
 * The canonical JSON that Notary signs: github.com/docker/go/canonical/json's MarshalCanonical of
 * the `signed` object decoded into Go interface values. Its rules, read from that encoder:
 * - object keys sorted by their UTF-8 bytes (Go's string order), no whitespace anywhere;
 * - in strings only `"` and `\` are escaped; control characters, `<>&`, U+2028/9 and all
 *   non-ASCII text are written as raw UTF-8 (the non-canonical encoder escapes those);
 * - numbers were decoded as float64 and must be integral: written as a base-10 int64, and a
 *   fraction, NaN or infinity is an error (Go refuses to sign or verify such metadata).
 * Anything that differs by one byte fails the signature check, so the bytes matter, not the text.
 */

export class CanonicalJsonError extends Error {}

const MAX_SAFE_INT64 = 2 ** 63;

/** The canonical bytes of a value parsed by JSON.parse. */
export function canonicalJson(value: unknown): Buffer {
  const parts: string[] = [];
  write(value, parts, 0);
  return Buffer.from(parts.join(''), 'utf8');
}

const byUtf8 = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

function write(v: unknown, out: string[], depth: number): void {
  // JSON.parse output has no cycles, but a hostile document can nest deep enough to blow the stack.
  if (depth > 100) throw new CanonicalJsonError('json: nesting deeper than 100 levels');
  if (v === null) out.push('null');
  else if (typeof v === 'boolean') out.push(v ? 'true' : 'false');
  else if (typeof v === 'string') out.push(quote(v));
  else if (typeof v === 'number') out.push(integer(v));
  else if (Array.isArray(v)) {
    out.push('[');
    v.forEach((item, i) => {
      if (i > 0) out.push(',');
      write(item, out, depth + 1);
    });
    out.push(']');
  } else if (typeof v === 'object') {
    const obj = v as Record<string, unknown>;
    const keys = Object.keys(obj);
    // Only ASCII keys sort the same in UTF-16 and UTF-8 order; pay for the byte compare otherwise.
    keys.sort(keys.every((k) => /^[\x00-\x7f]*$/.test(k)) ? undefined : byUtf8);
    out.push('{');
    keys.forEach((k, i) => {
      if (i > 0) out.push(',');
      out.push(quote(k), ':');
      write(obj[k], out, depth + 1);
    });
    out.push('}');
  } else {
    throw new CanonicalJsonError(`json: unsupported type: ${typeof v}`);
  }
}

function quote(s: string): string {
  return `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

function integer(n: number): string {
  if (!Number.isFinite(n) || Math.floor(n) !== n || Math.abs(n) >= MAX_SAFE_INT64) {
    throw new CanonicalJsonError(`json: unsupported value: ${n}`);
  }
  // BigInt prints 1e21 as digits where Number#toString would switch to exponent form.
  return BigInt(n).toString();
}
