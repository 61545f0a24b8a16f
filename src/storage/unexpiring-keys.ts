/**
 * What a store that keeps expiries offers the migration that gives one to keys written without a
 * TTL (expiry-backfill.ts): Events stored before --event-ttl existed, or while it was 0. SQLite
 * implements it on its expiry table (sqlite-ttl.ts), etcd with leases (etcd/lease-backfill.ts).
 */
import type { StoredObject } from './types.ts';

/** A key to give an expiry ttlSeconds from now (0: due now), if it is still at modRevision. */
export interface ExpiryGrant {
  key: string;
  modRevision: number;
  ttlSeconds: number;
}

export interface UnexpiringPage {
  /** The examined keys that have no expiry, with their values as stored (ciphertext when encrypted). */
  items: StoredObject[];
  /** How many keys were examined (at most the limit asked). */
  examined: number;
  /** Where the next page starts; undefined once the prefix has been examined to its end. */
  next?: string;
}

export interface UnexpiringKeys {
  /** Examines at most `limit` keys under `prefix` in key order, from `cursor` (a page's `next`; undefined: the start). */
  page(prefix: string, cursor: string | undefined, limit: number): Promise<UnexpiringPage>;
  /**
   * Gives each key that is still at its modRevision, and still has no expiry, the expiry asked
   * for; a key written meanwhile keeps what that write gave it (the write wins). How many were given.
   */
  attach(grants: ExpiryGrant[]): Promise<number>;
}
