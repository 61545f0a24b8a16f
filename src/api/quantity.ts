/**
 * resource.Quantity: the project's one implementation, ported from apimachinery pkg/api/resource
 * (quantity.go ParseQuantity / CanonicalizeBytes / Value / MilliValue / Add / Cmp, amount.go,
 * suffix.go, math.go). Everything that reads, compares, sums or prints a quantity uses this module.
 *
 * A parsed quantity is exact in units of 1n (upstream rounds anything finer up to 1n, away from
 * zero), with the format it was written in (DecimalSI, BinarySI, DecimalExponent); a BinarySI value
 * is capped at 2^63-1. Its canonical text (Quantity.String()) is upstream's: "0.5" -> "500m",
 * "1024Mi" -> "1Gi", "1000m" -> "1"; a BinarySI value below 1024 in magnitude or not whole is
 * written as DecimalSI. As upstream, an input the fast int64 parse finds already canonical keeps its
 * own text (Quantity.s), sign and all: "+1" stays "+1", "01" stays "01", "1.G" stays "1.G".
 */

export type QuantityFormat = 'DecimalExponent' | 'BinarySI' | 'DecimalSI';

export interface Qty {
  /** The amount in units of 1e-9. */
  readonly nanos: bigint;
  readonly format: QuantityFormat;
  /**
   * The scale upstream holds the amount at (value * 10^scale): int64Amount's scale ("1000m" is
   * 1000 at -3), or minus inf.Dec's Scale(). AsInt64 and AsApproximateFloat64 depend on it.
   */
  readonly scale: number;
  /** Quantity.s: the text as parsed, when the int64 parse found it canonical. */
  readonly s?: string;
  /** Held as an inf.Dec upstream (the slow parse, an overflowing sum): Value() and AsInt64 differ. */
  readonly dec?: boolean;
}

export const QUANTITY_FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

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
  format: QuantityFormat;
}

const DECIMAL_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_BY_EXPONENT = new Map(Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]));
const BINARY_BY_EXPONENT = new Map(Object.entries(BINARY_SUFFIXES).map(([s, e]) => [e, s]));
const NANO = 1_000_000_000n;
const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -INT64_MAX - 1n;
/** A bound of ours on a decimal exponent. */
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
    if (parsed > INT64_MAX || parsed < INT64_MIN) return undefined;
    return { base: 10, exponent: Number(BigInt.asIntN(32, parsed)), format: 'DecimalExponent' };
  }
  return undefined;
}

interface Failure {
  error: string;
}

const ERR_FORMAT: Failure = { error: QUANTITY_FORMAT_ERROR };
const ERR_NUMERIC: Failure = { error: 'unable to parse numeric part of quantity' };
const ERR_SUFFIX: Failure = { error: "unable to parse quantity's suffix" };

/** 10^n for n >= 0, the common ones precomputed. */
const POW10 = Array.from({ length: 40 }, (_, i) => 10n ** BigInt(i));
const pow10 = (n: number): bigint => POW10[n] ?? 10n ** BigInt(n);

function stripLeadingZeros(d: string): string {
  let i = 0;
  while (i < d.length && d.charCodeAt(i) === 48) i++;
  return i === 0 ? d : d.slice(i);
}

/** ParseQuantity. */
function parseUncached(str: string): Qty | Failure {
  if (str.length === 0) return ERR_FORMAT;
  if (str === '0') return { nanos: 0n, format: 'DecimalSI', scale: 0, s: str };
  const s = split(str);
  if (!s) return ERR_FORMAT;
  const it = interpret(s.suffix);
  if (!it) return ERR_SUFFIX;
  // Beyond upstream, which would build 10^exponent for any int32 exponent (a negative one only rounds up to 1n).
  if (it.exponent > MAX_EXPONENT) return ERR_FORMAT;
  // And, as that bound, a value of 10^(MAX_EXPONENT+1) or more (upstream keeps any number of digits).
  if (it.base === 10 && s.num.length + it.exponent > MAX_EXPONENT + 1 && s.num !== '0') return ERR_FORMAT;
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
      // At most 18 digits: always an int64.
      const value = BigInt(shifted);
      if (format === 'BinarySI') {
        const result = value << BigInt(it.exponent);
        if (result <= INT64_MAX) {
          const nanos = (s.positive ? result : -result) * NANO;
          // "if the number is in canonical form, reuse the string"
          return value % 8n !== 0n ? { nanos, format, scale: 0, s: str } : { nanos, format, scale: 0 };
        }
      } else {
        const nanos = (s.positive ? value : -value) * pow10(scale + 9);
        if (scale % 3 === 0 && !shifted.endsWith('000') && shifted[0] !== '0') return { nanos, format, scale, s: str };
        return { nanos, format, scale };
      }
    }
  }

  // The inf.Dec path: exact, then rounded up to 1n, BinarySI capped at 2^63-1.
  const m = /^[+-]?([0-9]*)(?:\.([0-9]*))?$/.exec(s.value);
  if (!m || (m[1] ?? '').length + (m[2] ?? '').length === 0) return ERR_NUMERIC;
  // The value is BigInt(digits) * 10^(whole.length - digits.length), times the suffix.
  const whole = stripLeadingZeros(m[1] ?? '');
  let digits = whole + (m[2] ?? '');
  if (it.base === 2 && whole.length > 20) {
    // At least 10^20: over maxAllowed whatever the suffix, so capped as below.
    return { nanos: (s.positive ? INT64_MAX : -INT64_MAX) * NANO, format, scale: 0, dec: true };
  }
  // Only the digits down to the one below 1n count exactly (for BinarySI, times 2^exponent: exponent
  // more); the ones past it only round up, so any non-zero among them stands as one '1'. This keeps
  // BigInt (superlinear in V8) to at most ~1,100 digits whatever the text's length.
  const keep = Math.max(0, whole.length + (it.base === 10 ? it.exponent + 9 : it.exponent + 10)) + 1;
  if (digits.length > keep) digits = digits.slice(0, keep) + (/[1-9]/.test(digits.slice(keep)) ? '1' : '');
  let unscaled = BigInt(digits);
  let exp = whole.length - digits.length;
  if (it.base === 10) exp += it.exponent;
  else unscaled <<= BigInt(it.exponent);
  // Upstream rounds a non-zero amount to scale 1n (inf.Dec Round sets its scale); a zero keeps its
  // own, here no finer than 1n (a bound of ours: a zero's scale only shows in a later sum's float).
  if (unscaled === 0n) return { nanos: 0n, format, scale: Math.max(exp, -9), dec: true };
  let nanos: bigint;
  if (exp >= -9) nanos = unscaled * pow10(exp + 9);
  else if (-9 - exp > digits.length + 19) nanos = 1n; // far below 1n: only the rounding is left
  else {
    const div = pow10(-9 - exp);
    const q = unscaled / div;
    nanos = q * div === unscaled ? q : q + 1n;
  }
  let amountScale = -9;
  if (format === 'BinarySI') {
    if (nanos > INT64_MAX * NANO) {
      // maxAllowed: an inf.Dec at scale 0.
      nanos = INT64_MAX * NANO;
      amountScale = 0;
    } else if (nanos < NANO) format = 'DecimalSI';
  }
  return { nanos: s.positive ? nanos : -nanos, format, scale: amountScale, dec: true };
}

/**
 * Parsed quantities by text. The same few strings ("500m", "128Mi") are parsed on every pod write
 * by validation, LimitRanger, ResourceQuota and the scheduler; the results are frozen, so they can
 * be shared. Bounded: at most 4,096 texts of at most 64 characters (a longer one is parsed every
 * time); emptied when full, which costs a re-parse, never a wrong answer.
 */
const parsed = new Map<string, Qty | Failure>();
const PARSED_MAX = 4096;
const CACHED_TEXT_MAX = 64;

function parseCached(text: string): Qty | Failure {
  let q = parsed.get(text);
  if (q === undefined) {
    q = Object.freeze(parseUncached(text));
    if (text.length <= CACHED_TEXT_MAX) {
      if (parsed.size >= PARSED_MAX) parsed.clear();
      parsed.set(text, q);
    }
  }
  return q;
}

const isFailure = (r: Qty | Failure): r is Failure => (r as Failure).error !== undefined;

/**
 * ParseQuantity of a string, or of a number's text (what UnmarshalJSON gets from a JSON number);
 * undefined when upstream refuses it (or, beyond upstream, its exponent is over 1000 or its value
 * at least 10^1001).
 */
export function parseQty(input: unknown): Qty | undefined {
  const text = typeof input === 'number' ? String(input) : input;
  if (typeof text !== 'string') return undefined;
  const r = parseCached(text);
  return isFailure(r) ? undefined : r;
}

/** Parses, throwing on a malformed value (values come from objects that passed validation). */
export function mustParseQty(input: unknown): Qty {
  const q = parseQty(input);
  if (!q) throw new Error(`${QUANTITY_FORMAT_ERROR}: ${String(input)}`);
  return q;
}

/**
 * The text upstream serializes `str` as, or undefined when ParseQuantity refuses it. `str` is what
 * UnmarshalJSON passes on: the JSON string (or number literal) with surrounding white space trimmed.
 */
export function canonicalQuantity(str: string): string | undefined {
  if (plainCanonical(str)) return str;
  const r = parseCached(str);
  return isFailure(r) ? undefined : formatQty(r);
}

/** ParseQuantity's error for `str` (quantity.go ErrFormatWrong, ErrSuffix, ErrNumeric), or undefined when it parses. */
export function quantityParseError(str: string): string | undefined {
  if (plainCanonical(str)) return undefined;
  const r = parseCached(str);
  return isFailure(r) ? r.error : undefined;
}

/**
 * The common case, answered without parsing: digits without a leading zero and an SI suffix
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

/** Quantity.String(): the parsed text when the parse kept it, else CanonicalizeBytes. */
export function formatQty(q: Qty): string {
  return q.s ?? canonical(q.nanos, q.format);
}

/** CanonicalizeBytes of the value nanos * 10^-9. */
function canonical(nanos: bigint, format: QuantityFormat): string {
  if (nanos === 0n) return '0';
  const negative = nanos < 0n;
  let amount = negative ? -nanos : nanos;
  const sign = negative ? '-' : '';
  if (format === 'BinarySI') {
    // Below 1024 in magnitude, or not whole: DecimalSI.
    if (amount < 1024n * NANO || amount % NANO !== 0n) format = 'DecimalSI';
    else {
      let whole = amount / NANO;
      let times = 0;
      while (whole >= 1024n && whole % 1024n === 0n) {
        whole /= 1024n;
        times++;
      }
      return sign + whole.toString() + (BINARY_BY_EXPONENT.get(times * 10) ?? '');
    }
  }
  let exp = -9;
  while (amount >= 1000n && amount % 1000n === 0n) {
    amount /= 1000n;
    exp += 3;
  }
  if (format === 'DecimalExponent') {
    // The exponent of a reduced mantissa, down to a multiple of three: 80e-3, not 8e-2.
    while (amount >= 10n && amount % 10n === 0n) {
      amount /= 10n;
      exp++;
    }
    while (exp % 3 !== 0) {
      amount *= 10n;
      exp--;
    }
    return sign + amount.toString() + (exp === 0 ? '' : `e${exp}`);
  }
  // DecimalSI past 'E' has no suffix upstream either (constructBytes fails, the number stands alone).
  return sign + amount.toString() + (DECIMAL_BY_EXPONENT.get(exp) ?? '');
}

export const ZERO: Qty = Object.freeze({ nanos: 0n, format: 'DecimalSI', scale: 0 });

/** NewScaledQuantity(value, scale) in `format`: value * 10^scale, scale at least -9. */
export function qtyFromScaled(value: number | bigint, scale: number, format: QuantityFormat = 'DecimalSI'): Qty {
  return { nanos: BigInt(value) * pow10(scale + 9), format, scale };
}

/** NewQuantity(n, format). */
export function qtyFromInt(n: number | bigint, format: QuantityFormat = 'DecimalSI'): Qty {
  return qtyFromScaled(n, 0, format);
}

/** NewMilliQuantity(milli, format). */
export function qtyFromMilli(milli: number | bigint, format: QuantityFormat = 'DecimalSI'): Qty {
  return qtyFromScaled(milli, -3, format);
}

/** Upstream's Add: the sum keeps the receiver's format unless the receiver is zero. */
export function addQty(a: Qty, b: Qty): Qty {
  return sum(a, b, b.nanos);
}

/** Upstream's Sub (Add of the negated amount, as int64Amount.Sub). */
export function subQty(a: Qty, b: Qty): Qty {
  return sum(a, b, -b.nanos);
}

const fitsInt64 = (v: bigint): boolean => v <= INT64_MAX && v >= INT64_MIN;

/** a + (b's amount, as `bNanos`): int64Amount.Add at the smaller scale, an inf.Dec when either is one or that overflows. */
function sum(a: Qty, b: Qty, bNanos: bigint): Qty {
  const format = a.nanos === 0n ? b.format : a.format;
  const nanos = a.nanos + bNanos;
  if (!a.dec && !b.dec) {
    if (bNanos === 0n) return { nanos, format, scale: a.scale };
    if (a.nanos === 0n) return { nanos, format, scale: b.scale };
    const scale = Math.min(a.scale, b.scale);
    const unit = pow10(scale + 9);
    if (fitsInt64(a.nanos / unit) && fitsInt64(bNanos / unit) && fitsInt64(nanos / unit)) return { nanos, format, scale };
  }
  // inf.Dec's Add: the finer of the two scales.
  return { nanos, format, scale: Math.min(a.scale, b.scale), dec: true };
}

/** Quantity.Cmp. */
export function cmpQty(a: Qty, b: Qty): number {
  return a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0;
}

/** Quantity.Sign. */
export function qtySign(q: Qty): number {
  return q.nanos < 0n ? -1 : q.nanos > 0n ? 1 : 0;
}

export function isZeroQty(q: Qty): boolean {
  return q.nanos === 0n;
}

/**
 * ScaledValue: the amount in units of `unit` nanos, rounded up. Upstream rounds an int64 amount
 * away from zero (negativeScaleInt64), an inf.Dec one by adding one to Go's truncated quotient
 * (scaledValue), so -1.5 is -2 from "-1500m" and 0 from "-1.5" written past the int64 parse.
 */
function scaledValue(q: Qty, unit: bigint): bigint {
  const t = q.nanos / unit;
  if (t * unit === q.nanos) return t;
  return q.nanos > 0n || q.dec ? t + 1n : t - 1n;
}

/** Quantity.Value(): whole units, rounded up. */
export function qtyValue(q: Qty): bigint {
  return scaledValue(q, NANO);
}

/** Quantity.MilliValue(): thousandths, rounded up. */
export function qtyMilliValue(q: Qty): bigint {
  return scaledValue(q, 1_000_000n);
}

/**
 * What Go's Value() (unit 10^9 nanos) or MilliValue() (10^6) returns as an int64 when the amount does
 * not fit: an int64Amount's positiveScaleInt64 overflows to 0, an inf.Dec's big.Int.Int64() keeps
 * the low 64 bits (two's complement). The kubelet takes these as they come (calculateLinuxResources,
 * ResourceConfigForPod), so a limit of 1e1000 is 0 there: no limit, never Infinity.
 */
function goInt64(q: Qty, unit: bigint): bigint {
  const v = scaledValue(q, unit);
  if (fitsInt64(v)) return v;
  return q.dec ? BigInt.asIntN(64, v) : 0n;
}

/** Quantity.Value() as the int64 Go returns, overflow included (goInt64). */
export function qtyInt64Value(q: Qty): bigint {
  return goInt64(q, NANO);
}

/** Quantity.MilliValue() as the int64 Go returns, overflow included (goInt64). */
export function qtyInt64MilliValue(q: Qty): bigint {
  return goInt64(q, 1_000_000n);
}

/**
 * Quantity.AsInt64(): the value of an int64 amount at a scale of at least 0; undefined for an
 * inf.Dec amount, an overflow, and any amount held below scale 0, whole or not ("1000m", "1.0": as
 * upstream, which does not reduce factors there).
 */
export function qtyAsInt64(q: Qty): bigint | undefined {
  if (q.dec || q.scale < 0) return undefined;
  const v = q.nanos / NANO;
  return fitsInt64(v) ? v : undefined;
}

/** Go's math.Pow10, table for table (1e32 steps times 1e0..1e31), so products round as upstream's. */
function goPow10(n: number): number {
  if (n >= 0 && n <= 308) return Number(`1e${n - (n % 32)}`) * Number(`1e${n % 32}`);
  if (n < 0 && n >= -323) return Number(`1e-${-n - (-n % 32)}`) / Number(`1e${-n % 32}`);
  return n > 0 ? Infinity : 0;
}

/** Quantity.AsApproximateFloat64(): the held value as a float64 times Pow10 of its scale ("1.1" is 11 * 0.1). */
export function qtyApproximateFloat(q: Qty): number {
  const base = Number(q.nanos / pow10(q.scale + 9));
  return q.scale === 0 ? base : base * goPow10(q.scale);
}

/** resource.MaxMilliValue: the largest Value() whose MilliValue() still fits an int64. */
export const MAX_MILLI_VALUE = INT64_MAX / 1000n;
