/**
 * Go's fmt verbs applied to a decoded JSON value (map[string]interface{}, []interface{}, string,
 * float64 or int64, bool, nil), for error messages that upstream builds with %v or %#v of such a
 * value. Maps print with sorted keys, as fmt does. Iterative: the value may be as deep as the
 * decoders allow.
 */

export interface GoFormatOptions {
  /** %#v (Go syntax) instead of %v. */
  syntax?: boolean;
  /**
   * How the decoder typed JSON numbers: encoding/json into interface{} gives float64 (1e+06);
   * apimachinery's json gives int64 for integers (1000000).
   */
  numbers: 'float64' | 'int64';
}

const TEXT = Symbol('text');
type Text = { [TEXT]: string };
const text = (s: string): Text => ({ [TEXT]: s });
const isText = (v: unknown): v is Text => typeof v === 'object' && v !== null && TEXT in v;

export function goFormat(root: unknown, opts: GoFormatOptions): string {
  const syntax = opts.syntax === true;
  let out = '';
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (isText(v)) {
      out += v[TEXT];
      continue;
    }
    const parts: unknown[] = [];
    if (v === null || v === undefined) out += syntax ? 'interface {}(nil)' : '<nil>';
    else if (typeof v === 'string') out += syntax ? goQuote(v) : v;
    else if (typeof v === 'number') out += opts.numbers === 'int64' && Number.isInteger(v) ? String(v) : goFloat(v);
    else if (Array.isArray(v)) {
      parts.push(text(syntax ? '[]interface {}{' : '['));
      v.forEach((x, i) => parts.push(...(i > 0 ? [text(syntax ? ', ' : ' ')] : []), x));
      parts.push(text(syntax ? '}' : ']'));
    } else if (typeof v === 'object') {
      const keys = Object.keys(v).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      parts.push(text(syntax ? 'map[string]interface {}{' : 'map['));
      keys.forEach((k, i) => {
        const sep = i > 0 ? (syntax ? ', ' : ' ') : '';
        parts.push(text(`${sep}${syntax ? goQuote(k) : k}:`), (v as Record<string, unknown>)[k]);
      });
      parts.push(text(syntax ? '}' : ']'));
    } else out += String(v);
    for (let i = parts.length - 1; i >= 0; i--) stack.push(parts[i]);
  }
  return out;
}

/**
 * %v of a float64: strconv's 'g' with the shortest precision, which switches to the %e form when
 * the decimal exponent is below -4 or at least 6 (1e+06, 1.234567e+06, 1e-05).
 */
export function goFloat(v: number): string {
  if (Object.is(v, -0)) return '-0';
  if (v === 0) return '0';
  // toExponential() without an argument gives the shortest digits that round-trip, as strconv does.
  const [mantissa, expText] = v.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(v);
}

/** strconv.Quote: Go escapes, \xNN for ASCII controls, \uNNNN or \UNNNNNNNN for other non-printables. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\v':
        out += '\\v';
        continue;
    }
    if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (ch !== ' ' && NON_PRINTABLE.test(ch)) out += cp < 0x10000 ? `\\u${cp.toString(16).padStart(4, '0')}` : `\\U${cp.toString(16).padStart(8, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** unicode.IsPrint is false for the other (C*) and separator (Z*) categories, but for ASCII space. */
const NON_PRINTABLE = /^[\p{C}\p{Z}]$/u;
