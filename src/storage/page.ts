/**
 * One page of a list, shared by every backend: walk candidates in key order, keep those the
 * predicate accepts, stop once `limit` are kept. As upstream's etcd3 store does, the page has
 * more when any key follows (matching or not), and the continue token resumes after the last
 * key examined, so a selective predicate can yield short or even empty later pages.
 */
import type { StoredObject } from './types.ts';
import { unreadableReason } from './encryption/read-state.ts';

export interface Page<T> {
  items: StoredObject<T>[];
  /** A key follows the last one examined. */
  more: boolean;
  /** The last key examined (the continue token resumes after it). */
  lastKey?: string;
}

/** `limit` <= 0 means no limit. */
export function takePage<T>(
  candidates: Iterable<StoredObject<T>>,
  limit: number,
  predicate?: (value: unknown) => boolean,
): Page<T> {
  const items: StoredObject<T>[] = [];
  let lastKey: string | undefined;
  for (const c of candidates) {
    if (limit > 0 && items.length >= limit) return { items, more: true, lastKey };
    lastKey = c.key;
    // A value the encryption layer could not read is kept whatever the predicate: the read then
    // fails naming it, as upstream's list does, instead of silently leaving it out.
    if (!predicate || predicate(c.value) || unreadableReason(c.value) !== undefined) items.push(c);
  }
  return { items, more: false, lastKey };
}

/**
 * A predicate every key passes, for a caller that pages through a range and has no use for its
 * remainingItemCount: the stores count the rest of the range only for a list without a predicate
 * (as upstream: a count is only meaningful when every key counts), and at an older revision SQLite
 * reads the whole rest of the range to count it.
 */
export const everyKeyUncounted = (): boolean => true;

/** Normalise ListOptions.limit: 0, negative or absent means all. */
export function pageLimit(limit: number | undefined): number {
  return limit !== undefined && limit > 0 ? Math.floor(limit) : 0;
}
