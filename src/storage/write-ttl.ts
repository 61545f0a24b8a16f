/**
 * The TTL a write asks for (WriteOptions.ttlSeconds), checked once for every store: whole seconds
 * as etcd's leases take them (LeaseGrant's TTL is an int64 of seconds, at most MaxLeaseTTL).
 */
import { StorageError } from './types.ts';
import type { WriteOptions } from './types.ts';

/** etcd's lease.MaxLeaseTTL (server/lease/lessor.go): a larger TTL is refused by LeaseGrant. */
export const MAX_TTL_SECONDS = 9_000_000_000;

/** The write's TTL in seconds, 0 for none; a TTL etcd would refuse is refused here too. */
export function ttlOf(key: string, opts: WriteOptions | undefined): number {
  const ttl = opts?.ttlSeconds;
  if (ttl === undefined || ttl === 0) return 0;
  if (!Number.isSafeInteger(ttl) || ttl < 0 || ttl > MAX_TTL_SECONDS) {
    throw new StorageError('Internal', `invalid TTL ${ttl} for ${JSON.stringify(key)}: whole seconds from 0 to ${MAX_TTL_SECONDS}`, { key });
  }
  return ttl;
}
