/**
 * client-go's client-side rate limit (rest.Config QPS/Burst: flowcontrol.NewTokenBucketRateLimiter)
 * around an ApiClient: every request takes a token first, waiting its turn when the bucket is
 * empty (a token is reserved at once, so waiters go in the order they asked). Opening a watch
 * takes a token too, as client-go's Watch() throttles; closing one that has not opened yet ends it
 * with onClose() as closing an open one does.
 */
import { sleep, realTimers, type Timers } from './timers.ts';
import type { ApiClient, K8sObject, ResourceRef, WatchEvent, WatchHandle, WatchOptions } from './types.ts';
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
    watch<T extends K8sObject>(r: ResourceRef, ns: string, o: WatchOptions, onEvent: (e: WatchEvent<T>) => void, onClose: (err?: Error) => void): WatchHandle {
      const wait = bucket.when();
      if (wait <= 0) return inner.watch(r, ns, o, onEvent, onClose);
      let opened: WatchHandle | undefined;
      let closed = false;
      const timer = timers.setTimeout(() => {
        if (!closed) opened = inner.watch(r, ns, o, onEvent, onClose);
      }, wait);
      return {
        close() {
          if (closed) return;
          closed = true;
          if (opened) return opened.close();
          timers.clearTimeout(timer);
          onClose();
        },
      };
    },
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
