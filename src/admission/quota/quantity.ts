/**
 * resource.Quantity as quota and limit ranges need it: exact amounts in BigInt nano units (upstream
 * rounds anything finer up to 1n), the format the value was written in, and upstream's canonical
 * string form (what Quantity.String() prints in messages and what the API serves).
 */
import { parseQuantity } from '../../api/validation/quantity.ts';

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface Qty {
  /** The amount in units of 1e-9. */
  nanos: bigint;
  format: QuantityFormat;
}

const NANO = 1_000_000_000n;
const MAX_INT64 = (1n << 63n) - 1n;
/** Upstream caps binary-suffixed quantities at the largest int64. */
const MAX_BINARY_NANOS = MAX_INT64 * NANO;
const BINARY_SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const DECIMAL_SUFFIXES: Record<number, string> = { [-9]: 'n', [-6]: 'u', [-3]: 'm', 0: '', 3: 'k', 6: 'M', 9: 'G', 12: 'T', 15: 'P', 18: 'E' };

export const ZERO: Qty = Object.freeze({ nanos: 0n, format: 'DecimalSI' }) as Qty;

/**
 * Parsed quantities by text. The same few strings ("500m", "128Mi") are parsed on every
 * admission by LimitRanger and ResourceQuota; the results are frozen, so they can be shared.
 * Bounded: emptied when full, which costs a re-parse, never a wrong answer.
 */
const parsed = new Map<string, Qty | null>();
const PARSED_MAX = 4096;

/** Parses a quantity string (or number); undefined when upstream would reject it. */
export function parseQty(input: unknown): Qty | undefined {
  const text = typeof input === 'number' ? String(input) : input;
  if (typeof text !== 'string') return undefined;
  let q = parsed.get(text);
  if (q === undefined) {
    if (parsed.size >= PARSED_MAX) parsed.clear();
    q = parseUncached(text) ?? null;
    if (q !== null) Object.freeze(q);
    parsed.set(text, q);
  }
  return q ?? undefined;
}

function parseUncached(text: string): Qty | undefined {
  const q = parseQuantity(text);
  if (!q) return undefined;
  const suffix = /^[+-]?[0-9.]*(.*)$/.exec(text)?.[1] ?? '';
  let format: QuantityFormat = 'DecimalSI';
  if (BINARY_SUFFIXES.includes(suffix) && suffix !== '') format = 'BinarySI';
  else if (/^[eE][-+]?[0-9]+$/.test(suffix)) format = 'DecimalExponent';
  const neg = q.num < 0n;
  const abs = neg ? -q.num : q.num;
  // Round up to the nearest nano, as upstream: asking for a sliver gets a sliver, never zero.
  let nanos = (abs * NANO + q.den - 1n) / q.den;
  if (format === 'BinarySI' && nanos > MAX_BINARY_NANOS) nanos = MAX_BINARY_NANOS;
  if (format === 'BinarySI' && nanos > 0n && nanos < NANO) format = 'DecimalSI';
  return { nanos: neg ? -nanos : nanos, format };
}

/** Parses, throwing on a malformed value (values come from objects that passed validation). */
export function mustParseQty(input: unknown): Qty {
  const q = parseQty(input);
  if (!q) throw new Error(`quantities must match the regular expression: ${String(input)}`);
  return q;
}

export function qtyFromInt(n: number | bigint, format: QuantityFormat = 'DecimalSI'): Qty {
  return { nanos: BigInt(n) * NANO, format };
}

/** Upstream's Add: the sum keeps the receiver's format unless the receiver is zero. */
export function addQty(a: Qty, b: Qty): Qty {
  return { nanos: a.nanos + b.nanos, format: a.nanos === 0n ? b.format : a.format };
}

export function subQty(a: Qty, b: Qty): Qty {
  return { nanos: a.nanos - b.nanos, format: a.nanos === 0n ? b.format : a.format };
}

export function cmpQty(a: Qty, b: Qty): number {
  return a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0;
}

export function isZeroQty(q: Qty): boolean {
  return q.nanos === 0n;
}

/** Quantity.Value(): whole units, rounded up. */
export function qtyValue(q: Qty): bigint {
  return ceilDiv(q.nanos, NANO);
}

/** Quantity.MilliValue(): thousandths, rounded up. */
export function qtyMilliValue(q: Qty): bigint {
  return ceilDiv(q.nanos, 1_000_000n);
}

/** resource.MaxMilliValue: the largest Value() whose MilliValue() still fits an int64. */
export const MAX_MILLI_VALUE = MAX_INT64 / 1000n;

function ceilDiv(n: bigint, d: bigint): bigint {
  const q = n / d;
  return n % d !== 0n && n > 0n ? q + 1n : q;
}

/** Quantity.String(): upstream's canonical form ("1000m" → "1", "1024Mi" → "1Gi", "0.5" → "500m"). */
export function formatQty(q: Qty): string {
  if (q.nanos === 0n) return '0';
  let format = q.format;
  if (format === 'BinarySI') {
    const small = q.nanos > -1024n * NANO && q.nanos < 1024n * NANO;
    // Binary suffixes only for whole numbers of at least 1Ki; anything else would round.
    if (small || q.nanos % NANO !== 0n) format = 'DecimalSI';
  }
  if (format === 'BinarySI') {
    let v = q.nanos / NANO;
    let exp = 0;
    while (v % 1024n === 0n && exp < BINARY_SUFFIXES.length - 1) {
      v /= 1024n;
      exp++;
    }
    return `${v}${BINARY_SUFFIXES[exp]}`;
  }
  let mantissa = q.nanos;
  let exp = -9;
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exp++;
  }
  // The exponent goes down to a multiple of three (1500m, not 1.5).
  const r = ((exp % 3) + 3) % 3;
  mantissa *= 10n ** BigInt(r);
  exp -= r;
  if (format === 'DecimalExponent') return exp === 0 ? `${mantissa}` : `${mantissa}e${exp}`;
  while (exp > 18) {
    mantissa *= 1000n;
    exp -= 3;
  }
  return `${mantissa}${DECIMAL_SUFFIXES[exp]}`;
}

/** Canonical form of a quantity string; the input unchanged when it does not parse. */
export function canonicalQuantity(input: string): string {
  const q = parseQty(input);
  return q ? formatQty(q) : input;
}
