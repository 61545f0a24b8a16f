/**
 * Header access for authentication. Node's `req.headers` silently drops repeated Authorization
 * headers (it keeps the first) and joins other repeats with ", ", which would turn two
 * Impersonate-Group lines into one group named "a, b". Credentials must see every line as sent,
 * so authentication reads a map built from `req.raw.rawHeaders` instead.
 */

export type HeaderBag = Record<string, string | string[] | undefined>;

/** Every header line, names lowercased, values in arrival order. */
export function rawHeaderMap(rawHeaders: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    (out[name] ??= []).push(rawHeaders[i + 1]!);
  }
  return out;
}

/** All values of one header (case-insensitive name), whether the bag holds strings or arrays. */
export function headerValues(headers: HeaderBag, name: string): string[] {
  const v = headers[name.toLowerCase()];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

// fatal: bytes that are not UTF-8 are refused, never guessed at; ignoreBOM: a BOM is kept, as Go keeps it.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export class HeaderEncodingError extends Error {}

/**
 * Node's HTTP parser gives header values as Latin-1 (one character per byte); Go, and so every
 * Kubernetes client and proxy, puts UTF-8 bytes there. Identity headers (the proxy's X-Remote-*,
 * Impersonate-*) carry user, group and extra names, so their bytes are read as UTF-8: "jörg" is
 * "jörg", not "jÃ¶rg". A value that is not valid UTF-8 throws HeaderEncodingError.
 */
export function utf8HeaderValue(value: string): string {
  // Plain ASCII is the same in both readings.
  if (!/[^\x00-\x7f]/.test(value)) return value;
  // Above U+00FF cannot have come from the parser; there is no byte string to decode.
  if (/[^\x00-\xff]/.test(value)) throw new HeaderEncodingError('not a byte string');
  try {
    return UTF8.decode(Buffer.from(value, 'latin1'));
  } catch {
    throw new HeaderEncodingError('invalid UTF-8');
  }
}

/**
 * The reverse, for headers this server writes (identity headers to aggregated APIs, Warning):
 * the text's UTF-8 bytes as a Latin-1 string, which Node writes byte for byte. Node refuses a
 * header char above U+00FF outright, and would fail the whole response over it.
 */
export function utf8HeaderBytes(text: string): string {
  return /[^\x00-\x7f]/.test(text) ? Buffer.from(text, 'utf8').toString('latin1') : text;
}

/** headerValues, each decoded with utf8HeaderValue; throws HeaderEncodingError naming the header. */
export function identityHeaderValues(headers: HeaderBag, name: string): string[] {
  return headerValues(headers, name).map((v) => {
    try {
      return utf8HeaderValue(v);
    } catch (err) {
      throw new HeaderEncodingError(`${name}: ${(err as Error).message}`);
    }
  });
}

/** Removes, in place, every header whose lowercased name satisfies `match`. */
export function deleteHeaders(headers: Record<string, unknown>, match: (lowerName: string) => boolean): void {
  for (const name of Object.keys(headers)) {
    if (match(name.toLowerCase())) delete headers[name];
  }
}

/** The same for a `rawHeaders` array ([name, value, name, value, ...]), also in place. */
export function deleteRawHeaders(rawHeaders: string[], match: (lowerName: string) => boolean): void {
  let w = 0;
  for (let r = 0; r + 1 < rawHeaders.length; r += 2) {
    if (match(rawHeaders[r]!.toLowerCase())) continue;
    rawHeaders[w++] = rawHeaders[r]!;
    rawHeaders[w++] = rawHeaders[r + 1]!;
  }
  rawHeaders.length = w;
}

/** Control characters (CR, LF, NUL, ...) have no place in a credential header value. */
export function hasControlChars(value: string): boolean {
  return /[\x00-\x08\x0a-\x1f\x7f]/.test(value);
}

/**
 * Extra keys travel in header names, which cannot hold every character, so they are
 * percent-encoded (upstream: url.PathUnescape); a key that is not valid encoding is kept as sent.
 */
export function unescapeExtraKey(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return encoded;
  }
}
