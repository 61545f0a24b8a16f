/**
 * Ages as upstream prints them: apimachinery's duration.HumanDuration and the printers'
 * translateTimestampSince. Go truncates toward zero when it turns a Duration into whole units.
 */

const trunc = Math.trunc;

/** duration.HumanDuration of a span in milliseconds. */
export function humanDuration(ms: number): string {
  const seconds = trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = trunc(ms / 60_000);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = trunc(ms / 3_600_000);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${trunc(hours / 24)}d` : `${trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = trunc(hours / 24) % 365;
    const y = trunc(hours / 24 / 365);
    return dy === 0 ? `${y}y` : `${y}y${dy}d`;
  }
  return `${trunc(hours / 24 / 365)}y`;
}

// RFC 3339 as Go's time.Parse(time.RFC3339) accepts it (fractional seconds allowed).
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Milliseconds since the epoch of an RFC 3339 time; undefined when empty or not RFC 3339. */
export function parseTime(v: unknown): number | undefined {
  if (typeof v !== 'string' || !RFC3339.test(v)) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

/** translateTimestampSince: "<unknown>" for a zero (absent) time. */
export function since(ts: unknown, now: Date): string {
  const t = parseTime(ts);
  if (t === undefined) return '<unknown>';
  return humanDuration(now.getTime() - t);
}
