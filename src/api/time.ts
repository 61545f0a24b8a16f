/** metav1.Time's JSON form: RFC 3339 in UTC, whole seconds. */
export function rfc3339(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}
