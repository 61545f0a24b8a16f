/**
 * client-go's EventAggregator (tools/record/events_cache.go, EventAggregatorByReasonFunc): events
 * about one object from one source with the same type and reason but different messages are
 * counted per 10 minutes (defaultAggregateIntervalInSeconds); from the 10th distinct message
 * (defaultAggregateMaxEvents) on, an event becomes one "(combined from similar events): <message>"
 * Event, observed (counted) under the reason's key rather than its message's. An LRU of at most
 * 4,096 records (maxLruCacheEntries).
 */
export const AGGREGATE_MAX_EVENTS = 10;
export const AGGREGATE_INTERVAL_MS = 600_000;
const MAX_ENTRIES = 4096;

interface AggregateRecord {
  messages: Set<string>;
  last: number;
}

/** For an event's reason key and message: undefined (record it as it is), or the combined event's message and key. */
export function newEventAggregator(now: () => number, maxEntries = MAX_ENTRIES): (aggregateKey: string, message: string) => { message: string; key: string } | undefined {
  const records = new Map<string, AggregateRecord>();
  return (aggregateKey, message) => {
    const t = now();
    let r = records.get(aggregateKey);
    records.delete(aggregateKey);
    if (!r || t - r.last > AGGREGATE_INTERVAL_MS) r = { messages: new Set(), last: t };
    r.messages.add(message);
    r.last = t;
    records.set(aggregateKey, r);
    while (records.size > maxEntries) records.delete(records.keys().next().value!);
    if (r.messages.size < AGGREGATE_MAX_EVENTS) return undefined;
    // "do not grow our local key set any larger than max" (PopAny: here the oldest).
    r.messages.delete(r.messages.values().next().value!);
    return { message: `(combined from similar events): ${message}`, key: `aggregate ${aggregateKey}` };
  };
}
