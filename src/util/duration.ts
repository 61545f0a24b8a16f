/**
 * Go's time.ParseDuration, the one duration grammar of every flag and setting that upstream reads
 * as a time.Duration: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, or a bare "0". Units ns, us (µs, μs), ms,
 * s, m, h; no days. The value is exact in nanoseconds (bigint) and must fit Go's int64, so a
 * duration that Go refuses is refused here too, with Go's message. And the one formatter, Go's
 * time.Duration.String().
 */

const NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const LIMIT = 1n << 63n;

export class DurationError extends Error {}

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';

/** Nanoseconds, as Go's time.ParseDuration; throws DurationError with Go's text otherwise. */
export function parseGoDuration(orig: string): bigint {
  const invalid = () => new DurationError(`time: invalid duration ${JSON.stringify(orig)}`);
  let s = orig;
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') throw invalid();
  let total = 0n;
  while (s !== '') {
    if (!(s[0] === '.' || isDigit(s[0]))) throw invalid();
    // Whole part: Go refuses one that overflows int64.
    let i = 0;
    let v = 0n;
    for (; isDigit(s[i]); i++) {
      v = v * 10n + BigInt(s.charCodeAt(i) - 48);
      if (v > LIMIT) throw invalid();
    }
    const pre = i > 0;
    s = s.slice(i);
    // Fraction: digits past int64 precision are consumed but ignored, as Go's leadingFraction.
    let f = 0n;
    let scale = 1;
    let post = false;
    if (s[0] === '.') {
      s = s.slice(1);
      let overflow = false;
      for (i = 0; isDigit(s[i]); i++) {
        if (overflow) continue;
        const y = f * 10n + BigInt(s.charCodeAt(i) - 48);
        if (f > (LIMIT - 1n) / 10n || y > LIMIT) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      post = i > 0;
      s = s.slice(i);
    }
    if (!pre && !post) throw invalid();
    for (i = 0; i < s.length && s[i] !== '.' && !isDigit(s[i]); i++);
    if (i === 0) throw new DurationError(`time: missing unit in duration ${JSON.stringify(orig)}`);
    const u = s.slice(0, i);
    s = s.slice(i);
    const unit = NS[u];
    if (unit === undefined) throw new DurationError(`time: unknown unit ${JSON.stringify(u)} in duration ${JSON.stringify(orig)}`);
    if (v > LIMIT / unit) throw invalid();
    v *= unit;
    // Go computes the fraction in float64 (nanosecond-exact up to an hour) and truncates.
    if (f > 0n) v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
    if (v > LIMIT) throw invalid();
    total += v;
    if (total > LIMIT) throw invalid();
  }
  if (neg) return -total;
  if (total > LIMIT - 1n) throw invalid();
  return total;
}

/** Milliseconds (fractions of a millisecond kept), for timers and TTLs. */
export function parseDurationMs(s: string): number {
  return Number(parseGoDuration(s)) / 1e6;
}

/** Go's time.Duration.String(): "1h2m3.5s", "1.5ms", "0s". */
export function formatGoDuration(nanos: bigint): string {
  const neg = nanos < 0n;
  let u = neg ? -nanos : nanos;
  const frac = (v: bigint, prec: number): [string, bigint] => {
    const div = 10n ** BigInt(prec);
    const digits = (v % div).toString().padStart(prec, '0').replace(/0+$/, '');
    return [digits ? `.${digits}` : '', v / div];
  };
  let out: string;
  if (u === 0n) return '0s';
  if (u < 1_000_000_000n) {
    const [prec, unit] = u < 1000n ? [0, 'ns'] : u < 1_000_000n ? [3, 'µs'] : [6, 'ms'];
    const [f, whole] = prec === 0 ? ['', u] : frac(u, prec);
    out = `${whole}${f}${unit}`;
  } else {
    const [f, whole] = frac(u, 9);
    u = whole;
    out = `${u % 60n}${f}s`;
    u /= 60n;
    if (u > 0n) {
      out = `${u % 60n}m${out}`;
      u /= 60n;
      if (u > 0n) out = `${u}h${out}`;
    }
  }
  return neg ? `-${out}` : out;
}
