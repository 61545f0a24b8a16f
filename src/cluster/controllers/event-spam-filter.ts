/**
 * client-go's EventSourceObjectSpamFilter (tools/record/events_cache.go), applied by every event
 * recorder here as by upstream's EventCorrelator: each source (component, host) and object (kind,
 * namespace, name, uid, apiVersion) has a token bucket of 25 (defaultSpamBurst) refilled at one
 * token per 5 minutes (defaultSpamQPS 1/300); an event that finds its bucket empty is not written.
 * So a pod whose sync records the same Warnings every minute costs 25 writes, then one per
 * 5 minutes, not two a minute for ever. The buckets are an LRU of at most 4,096 (maxLruCacheEntries).
 */
import type { K8sObject } from '../client/types.ts';

export const SPAM_BURST = 25;
export const SPAM_QPS = 1 / 300;
const MAX_ENTRIES = 4096;

interface Bucket {
  tokens: number;
  at: number;
}

/** getSpamKey: source and involved object, not type, reason or message. */
export function spamKey(ev: K8sObject): string {
  const s = (ev.source ?? {}) as { component?: string; host?: string };
  const o = (ev.involvedObject ?? {}) as Record<string, string | undefined>;
  return JSON.stringify([s.component ?? '', s.host ?? '', o.kind ?? '', o.namespace ?? '', o.name ?? '', o.uid ?? '', o.apiVersion ?? '']);
}

/** Filter: true when the event is to be skipped (its bucket is empty); takes a token otherwise. */
export function newSpamFilter(now: () => number, maxEntries = MAX_ENTRIES, burst = SPAM_BURST, qps = SPAM_QPS): (ev: K8sObject) => boolean {
  const buckets = new Map<string, Bucket>();
  return (ev) => {
    const key = spamKey(ev);
    const t = now();
    let b = buckets.get(key);
    if (b) {
      buckets.delete(key);
      // rate.Limiter: tokens accrue with the time passed, up to the burst.
      b.tokens = Math.min(burst, b.tokens + (Math.max(0, t - b.at) / 1000) * qps);
      b.at = t;
    } else b = { tokens: burst, at: t };
    buckets.set(key, b);
    while (buckets.size > maxEntries) buckets.delete(buckets.keys().next().value!);
    if (b.tokens < 1) return true;
    b.tokens -= 1;
    return false;
  };
}
