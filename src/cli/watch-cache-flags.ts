/** kube-apiserver's --watch-cache and --watch-cache-sizes (src/server/watch-cache-sizes.ts says what they do). */
import { boolFlag, commaList, type ParsedArgs } from './args.ts';
import { parseWatchCacheSizes, type WatchCacheFlags } from '../server/watch-cache-sizes.ts';

export const WATCH_CACHE_FLAGS = ['watch-cache-sizes'] as const;
export const WATCH_CACHE_BOOLEANS = ['watch-cache'] as const;

export function watchCacheFromFlags(args: ParsedArgs): WatchCacheFlags {
  const enabled = boolFlag(args, 'watch-cache', true);
  // Upstream parses the sizes only when the watch cache is on (Complete, GetRESTOptions).
  return { enabled, sizes: enabled ? parseWatchCacheSizes(commaList(args, 'watch-cache-sizes')) : new Map() };
}
