/**
 * What a read through the encryption layer learned about a value, for the REST layer:
 *
 * - unreadable: no provider could read it (wrong or removed key). The store answers with a marker in
 *   place of the object instead of failing the whole read, so one bad Secret does not take down a
 *   list of everything (the watch cache primes from such a list); whoever turns the marker into an
 *   API object answers upstream's 500 "unable to transform key ...".
 * - stale: read by a provider or key other than the one that writes now (a key being rotated out,
 *   or identity while encryption is being turned on). Upstream's GuaranteedUpdate writes such a
 *   value even when nothing changed, which is what makes `kubectl replace` re-encrypt everything
 *   with the new key; the update path asks isStale() for the same reason.
 */
const UNREADABLE = 'k8s:enc:unreadable';

export function unreadableValue(key: string, err: Error): object {
  return { [UNREADABLE]: `unable to transform key ${JSON.stringify(key)}: ${err.message}` };
}

/** The 'unable to transform key' reason when `value` is the marker of an unreadable value. */
export function unreadableReason(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const r = (value as Record<string, unknown>)[UNREADABLE];
  return typeof r === 'string' ? r : undefined;
}

const stale = new WeakSet<object>();

export function markStale(value: unknown): void {
  if (value !== null && typeof value === 'object') stale.add(value);
}

/** True when the object was read with a provider or key that no longer writes. */
export function isStale(value: unknown): boolean {
  return value !== null && typeof value === 'object' && stale.has(value);
}
