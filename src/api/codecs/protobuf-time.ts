/**
 * metav1.Time and MicroTime as upstream's JSON prints them after a protobuf decode (Go's
 * time.Time MarshalJSON in UTC, its zero time as null, years 0-9999 only). Apart from the decoder
 * because it is plain arithmetic on seconds and nanoseconds, tested on its own.
 */
import { badRequest } from '../errors.ts';

const MIN_SECONDS = -62167219200n; // 0000-01-01T00:00:00Z
const MAX_SECONDS = 253402300799n; // 9999-12-31T23:59:59Z
const GO_ZERO_TIME = -62135596800n; // 0001-01-01T00:00:00Z, Go's zero time.Time: JSON null

/** RFC 3339 in UTC, with `fractionDigits` of sub-second precision (metav1.Time 0, MicroTime 6). */
export function formatTime(seconds: bigint, nanos: bigint, fractionDigits: 0 | 6): string | null {
  const total = seconds * 1_000_000_000n + nanos;
  let secs = total / 1_000_000_000n;
  let rem = total % 1_000_000_000n;
  if (rem < 0n) {
    rem += 1_000_000_000n;
    secs -= 1n;
  }
  if (secs === GO_ZERO_TIME && rem === 0n) return null;
  if (secs < MIN_SECONDS || secs > MAX_SECONDS) throw badRequest('Time.MarshalJSON: year outside of range [0,9999]');
  const base = new Date(Number(secs) * 1000).toISOString().slice(0, 19);
  const frac = fractionDigits === 6 ? `.${(rem / 1000n).toString().padStart(6, '0')}` : '';
  return `${base}${frac}Z`;
}
