/**
 * resource.Quantity's canonical text, ported from apimachinery pkg/api/resource (quantity.go
 * ParseQuantity / CanonicalizeBytes, amount.go, suffix.go): what a built-in object's quantity
 * field holds once the server has decoded and re-encoded it ("0.5" -> "500m", "1024Mi" -> "1Gi",
 * "1000m" -> "1"). The format (DecimalSI, BinarySI, DecimalExponent) is the input's; values are
 * rounded up to a multiple of 1n; a BinarySI value is capped at 2^63-1, and one that is below
 * 1024 in magnitude or not whole is written as DecimalSI. As upstream, an input the fast int64
 * parse finds already canonical keeps its own text (Quantity.s), sign and all: "+1" stays "+1",
 * "01" stays "01", "1.G" stays "1.G".
 */

type Format = 'DecimalExponent' | 'BinarySI' | 'DecimalSI';

interface Split {
  positive: boolean;
  /** The number with its sign, as written (inf.Dec's input on the slow path). */
  value: string;
  /** Digits before the point, leading zeros stripped ("0" when none are left). */
  num: string;
  denom: string;
  suffix: string;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const SUFFIX_CHARS = 'eEinumkKMGTP';

/** parseQuantityString, character for character. undefined: ErrFormatWrong. */
function split(str: string): Split | undefined {
  let positive = true;
  let pos = 0;
  const end = str.length;
  if (pos < end) {
    if (str[0] === '-') {
      positive = false;
      pos++;
    } else if (str[0] === '+') {
      pos++;
    }
  }
  while (true) {
    if (pos >= end) return { positive, value: '0', num: '0', denom: '', suffix: '' };
    if (str.charCodeAt(pos) !== 48) break;
    pos++;
  }
  let num: string;
  let i = pos;
  while (true) {
    if (i >= end) return { positive, value: str, num: str.slice(pos), denom: '', suffix: '' };
    if (!isDigit(str.charCodeAt(i))) break;
    i++;
  }
  num = str.slice(pos, i);
  pos = i;
  if (num.length === 0) num = '0';
  let denom = '';
  if (pos < end && str[pos] === '.') {
    pos++;
    i = pos;
    while (true) {
      if (i >= end) return { positive, value: str, num, denom: str.slice(pos), suffix: '' };
      if (!isDigit(str.charCodeAt(i))) break;
      i++;
    }
    denom = str.slice(pos, i);
    pos = i;
  }
  const value = str.slice(0, pos);
  const suffixStart = pos;
  for (i = pos; ; i++) {
    if (i >= end) return { positive, value, num, denom, suffix: str.slice(suffixStart) };
    if (!SUFFIX_CHARS.includes(str[i]!)) {
      pos = i;
      break;
    }
  }
  if (pos < end && (str[pos] === '-' || str[pos] === '+')) pos++;
  for (i = pos; ; i++) {
    if (i >= end) return { positive, value, num, denom, suffix: str.slice(suffixStart) };
    if (!isDigit(str.charCodeAt(i))) return undefined;
  }
}

interface Interpreted {
  base: 2 | 10;
  exponent: number;
  format: Format;
}

const DECIMAL_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_BY_EXPONENT = new Map(Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]));
const BINARY_BY_EXPONENT = new Map(Object.entries(BINARY_SUFFIXES).map(([s, e]) => [e, s]));
const INT64_MAX = (1n << 63n) - 1n;
/** A bound of ours on a decimal exponent's magnitude. */
const MAX_EXPONENT = 1000;

/** suffixer.interpret; undefined: ErrSuffix. */
function interpret(suffix: string): Interpreted | undefined {
  const d = Object.hasOwn(DECIMAL_SUFFIXES, suffix) ? DECIMAL_SUFFIXES[suffix] : undefined;
  if (d !== undefined) return { base: 10, exponent: d, format: 'DecimalSI' };
  const b = Object.hasOwn(BINARY_SUFFIXES, suffix) ? BINARY_SUFFIXES[suffix] : undefined;
  if (b !== undefined) return { base: 2, exponent: b, format: 'BinarySI' };
  if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E')) {
    // strconv.ParseInt(s, 10, 64), then int32(parsed).
    const digits = suffix.slice(1);
    if (!/^[+-]?[0-9]+$/.test(digits)) return undefined;
    const parsed = BigInt(digits);
    if (parsed > INT64_MAX || parsed < -INT64_MAX - 1n) return undefined;
    return { base: 10, exponent: Number(BigInt.asIntN(32, parsed)), format: 'DecimalExponent' };
  }
  return undefined;
}

/**
 * The text upstream serializes `str` as, or undefined when ParseQuantity refuses it (or, beyond
 * upstream, its exponent is over 1000 in magnitude). `str` is what UnmarshalJSON passes on: the
 * JSON string (or number literal) with surrounding white space trimmed.
 */
export function canonicalQuantity(str: string): string | undefined {
  const r = parse(str);
  return typeof r === 'string' ? r : undefined;
}

/** ParseQuantity's error for `str` (quantity.go ErrFormatWrong, ErrSuffix, ErrNumeric), or undefined when it parses. */
export function quantityParseError(str: string): string | undefined {
  const r = parse(str);
  return typeof r === 'string' ? undefined : r.error;
}

interface Failure {
  error: string;
}

const ERR_FORMAT: Failure = { error: "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'" };
const ERR_NUMERIC: Failure = { error: 'unable to parse numeric part of quantity' };
const ERR_SUFFIX: Failure = { error: "unable to parse quantity's suffix" };

function parse(str: string): string | Failure {
  if (str.length === 0) return ERR_FORMAT;
  if (str === '0') return str;
  if (plainCanonical(str)) return str;
  const s = split(str);
  if (!s) return ERR_FORMAT;
  const it = interpret(s.suffix);
  if (!it) return ERR_SUFFIX;
  // Beyond upstream, which would build 10^exponent for any int32 exponent.
  if (Math.abs(it.exponent) > MAX_EXPONENT) return ERR_FORMAT;
  const { num, denom } = s;
  let format = it.format;

  // The int64 path: a short enough number at a scale of at least 1n.
  let precision: number;
  let scale = 0;
  if (format === 'BinarySI') {
    precision = denom.length === 0 ? 15 - num.length - Math.trunc((it.exponent * 3) / 10) - 1 : -1;
  } else {
    scale = it.exponent;
    precision = 18 - (num.length + denom.length);
  }
  if (precision >= 0) {
    scale -= denom.length;
    if (scale >= -9) {
      const shifted = num + denom;
      if (format === 'BinarySI') {
        // At most 14 digits here: exact as a double, and so is its product with 2^exponent.
        const value = Number(shifted);
        if (value * 2 ** it.exponent < 2 ** 63) {
          // "if the number is in canonical form, reuse the string"
          if (value % 8 !== 0) return str;
          const result = BigInt(value) << BigInt(it.exponent);
          return canonical(s.positive ? result : -result, 0, format);
        }
      } else {
        // At most 18 digits: always an int64.
        if (scale % 3 === 0 && !shifted.endsWith('000') && shifted[0] !== '0') return str;
        const value = BigInt(shifted);
        return canonical(s.positive ? value : -value, scale, format);
      }
    }
  }

  // The inf.Dec path: exact, then rounded up to 1n, BinarySI capped at 2^63-1.
  const m = /^[+-]?([0-9]*)(?:\.([0-9]*))?$/.exec(s.value);
  const whole = m?.[1] ?? '';
  const frac = m?.[2] ?? '';
  if (!m || whole.length + frac.length === 0) return ERR_NUMERIC;
  let unscaled = BigInt(whole + frac);
  let exp = -frac.length;
  if (it.base === 10) exp += it.exponent;
  else unscaled <<= BigInt(it.exponent);
  if (unscaled !== 0n && exp < -9) {
    const div = 10n ** BigInt(-9 - exp);
    const q = unscaled / div;
    unscaled = q * div === unscaled ? q : q + 1n;
    exp = -9;
  }
  if (format === 'BinarySI') {
    if (exp >= 0 ? unscaled * 10n ** BigInt(exp) > INT64_MAX : unscaled > INT64_MAX * 10n ** BigInt(-exp)) {
      unscaled = INT64_MAX;
      exp = 0;
    }
  }
  return canonical(s.positive ? unscaled : -unscaled, exp, format);
}

/**
 * The common case, answered without splitting: digits without a leading zero and an SI suffix
 * ("100m", "2", "500M", "64Mi"), text the int64 parse keeps as it is. Decimal: the digits do not
 * end in "000" (at most 18 of them: its precision).
 */
function plainCanonical(str: string): boolean {
  const n = str.length;
  let i = 0;
  while (i < n && isDigit(str.charCodeAt(i))) i++;
  if (i === 0 || i > 18 || str.charCodeAt(0) === 48) return false;
  if (i === n - 2 && str[n - 1] === 'i') {
    // BinarySI ("64Mi"): kept when not a multiple of 8 and within the int64 parse.
    const exponent = BINARY_SUFFIXES[str.slice(i)];
    if (exponent === undefined || 15 - i - (exponent * 3) / 10 - 1 < 0) return false;
    const value = Number(str.slice(0, i));
    return value % 8 !== 0 && value * 2 ** exponent < 2 ** 63;
  }
  if (i >= 3 && str.charCodeAt(i - 1) === 48 && str.charCodeAt(i - 2) === 48 && str.charCodeAt(i - 3) === 48) return false;
  if (i === n) return true;
  if (i !== n - 1) return false;
  const c = str[i]!;
  return c === 'm' || c === 'k' || c === 'M' || c === 'G' || c === 'T' || c === 'P' || c === 'E' || c === 'n' || c === 'u';
}

/** CanonicalizeBytes of the value unscaled * 10^exp. */
function canonical(unscaled: bigint, exp: number, format: Format): string {
  if (unscaled === 0n) return '0';
  const negative = unscaled < 0n;
  let amount = negative ? -unscaled : unscaled;
  const sign = negative ? '-' : '';
  if (format === 'BinarySI') {
    // Below 1024 in magnitude, or not whole: DecimalSI.
    let whole: bigint | undefined;
    if (exp >= 0) whole = amount * 10n ** BigInt(exp);
    else {
      const div = 10n ** BigInt(-exp);
      if (amount % div === 0n) whole = amount / div;
    }
    if (whole === undefined || whole < 1024n) format = 'DecimalSI';
    else {
      let times = 0;
      while (whole >= 1024n && whole % 1024n === 0n) {
        whole /= 1024n;
        times++;
      }
      return sign + whole.toString() + (BINARY_BY_EXPONENT.get(times * 10) ?? '');
    }
  }
  while (amount >= 10n && amount % 10n === 0n) {
    amount /= 10n;
    exp++;
  }
  while (exp % 3 !== 0) {
    amount *= 10n;
    exp--;
  }
  // DecimalSI past 'E' has no suffix upstream either (constructBytes fails, the number stands alone).
  const suffix = format === 'DecimalSI' ? (DECIMAL_BY_EXPONENT.get(exp) ?? '') : exp === 0 ? '' : `e${exp}`;
  return sign + amount.toString() + suffix;
}
