/**
 * Wall-clock time in an IANA time zone through Intl (what Go's time.LoadLocation gives the
 * CronJob controller). Formatters are cached per zone; zone names come from objects, so the
 * cache is bounded.
 */
const MAX_ZONES = 256;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (f) return f;
  f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
  if (formatters.size >= MAX_ZONES) formatters.clear();
  formatters.set(tz, f);
  return f;
}

/** Throws the zone's error text when Intl does not know it. */
export function checkTimeZone(tz: string): void {
  // Intl accepts some forms Go's tzdata lookup does not (offsets such as "+01:00"): refuse them.
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(tz)) throw new Error(`unknown time zone ${tz}`);
  try {
    formatter(tz);
  } catch {
    throw new Error(`unknown time zone ${tz}`);
  }
}

const isUtc = (tz: string | undefined): boolean => !tz || tz === 'UTC' || tz === 'Etc/UTC';

/** The zone's offset from UTC at instant `ms` (milliseconds, local minus UTC). */
export function offsetAt(ms: number, tz: string | undefined): number {
  if (isUtc(tz)) return 0;
  const parts: Record<string, number> = {};
  for (const p of formatter(tz!).formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return wall - Math.floor(ms / 1000) * 1000;
}

/** Local wall time as if it were UTC (so Date's UTC getters read the local fields). */
export const toWall = (ms: number, tz: string | undefined): number => ms + offsetAt(ms, tz);

/**
 * The instant of a local wall time, or undefined when the wall time does not exist (skipped by a
 * DST change). An ambiguous wall time (repeated hour) gives its first instant.
 */
export function fromWall(wall: number, tz: string | undefined): number | undefined {
  if (isUtc(tz)) return wall;
  const before = wall - offsetAt(wall - 24 * 3600_000, tz);
  const after = wall - offsetAt(wall + 24 * 3600_000, tz);
  const candidates = [before, after].filter((t) => toWall(t, tz) === wall).sort((a, b) => a - b);
  return candidates[0];
}

/** RFC 3339 in the zone, with its offset ("Z" in UTC), as Go's time.Format(time.RFC3339). */
export function formatRfc3339In(ms: number, tz: string | undefined): string {
  const off = offsetAt(ms, tz);
  const local = new Date(Math.floor(ms / 1000) * 1000 + off).toISOString().slice(0, 19);
  if (off === 0) return `${local}Z`;
  const m = Math.abs(off) / 60_000;
  return `${local}${off < 0 ? '-' : '+'}${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}
