// The last second formatted: every write stamps the current second (creationTimestamp,
// managedFields' time), so consecutive calls mostly ask for the same text.
let lastSecond = Number.NaN;
let lastText = '';

/** metav1.Time's JSON form: RFC 3339 in UTC, whole seconds. */
export function rfc3339(d: Date): string {
  const second = Math.floor(d.getTime() / 1000);
  if (second === lastSecond) return lastText;
  // An invalid date throws here as before (NaN never equals the cached second).
  const text = `${d.toISOString().slice(0, 19)}Z`;
  lastSecond = second;
  lastText = text;
  return text;
}

/** metav1.MicroTime's JSON form: RFC 3339 in UTC with six fractional digits (millisecond clock, so the last three are 0). */
export function rfc3339Micro(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}
