/**
 * client-go's client-side rate limit (rest.Config QPS/Burst: flowcontrol.NewTokenBucketRateLimiter)
 * around an ApiClient: every request takes a token first, waiting its turn when the bucket is
 * empty (a token is reserved at once, so waiters go in the order they asked). Watches are not
 * limited: a watch is one long request, and the informers that open them back off on their own.
 */
import { sleep, realTimers, type Timers } from './timers.ts';
import type { ApiClient } from './types.ts';
import { BucketRateLimiter } from './work-queue.ts';

export interface RateLimit {
  qps: number;
  burst: number;
}

export function rateLimitedClient(inner: ApiClient, limit: RateLimit, now: () => number = Date.now, timers: Timers = realTimers): ApiClient {
  const bucket = new BucketRateLimiter(limit.qps, limit.burst, now);
  const take = async (): Promise<void> => {
    const wait = bucket.when();
    if (wait > 0) await sleep(timers, wait);
  };
  return {
    get config() {
      return inner.config;
    },
    get: async (...a) => (await take(), inner.get(...a)),
    list: async (...a) => (await take(), inner.list(...a)),
    watch: (...a) => inner.watch(...a),
    create: async (...a) => (await take(), inner.create(...a)),
    update: async (...a) => (await take(), inner.update(...a)),
    patch: async (...a) => (await take(), inner.patch(...a)),
    delete: async (...a) => (await take(), inner.delete(...a)),
    deleteCollection: async (...a) => (await take(), inner.deleteCollection(...a)),
    postSubresource: async (...a) => (await take(), inner.postSubresource(...a)),
    ...(inner.deletePath && { deletePath: async (path: string) => (await take(), inner.deletePath!(path)) }),
    close: () => inner.close(),
  };
}
