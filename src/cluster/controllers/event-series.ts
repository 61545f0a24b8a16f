/**
 * An event recorder that counts repeats, as client-go's EventCorrelator (eventObserve) does for
 * the kubelet: an occurrence identical to one recorded before (same object and field path, type,
 * reason, message) patches that Event's count and lastTimestamp instead of creating another, so a probe failing every period is one Event "x42" rather than 42 Events.
 * The memory of recorded events is an LRU of at most 4,096 entries (upstream's maxLruCacheEntries);
 * a patch that fails (the Event expired or was deleted) creates a new one.
 *
 * Before that, the aggregator (event-aggregator.ts): from the 10th distinct message of one reason in
 * 10 minutes, one combined Event. Then the spam filter (event-spam-filter.ts): past 25 events about
 * one object, one per 5 minutes.
 *
 * The writes go out one at a time, in the order recorded, as client-go's StartRecordingToSink
 * (one goroutine writes each event before taking the next), from a queue of at most 1,000
 * (maxQueuedEvents; dropped when full, DropIfChannelFull). A burst of pod starts records three
 * Events a pod: sent all at once they took connections and API server time from the pods'
 * status writes (and a TLS handshake each for the connections opened for them).
 */
import { EVENTS } from './resources.ts';
import { buildEvent, type EventRecorder, type RecorderDeps } from './events.ts';
import { formatTime } from './pod-util.ts';
import { newSpamFilter } from './event-spam-filter.ts';
import { newEventAggregator } from './event-aggregator.ts';

const MAX_ENTRIES = 4096;
export const MAX_QUEUED_WRITES = 1000;

interface Seen {
  namespace: string;
  name: string;
  count: number;
}

export function newCountingEventRecorder(d: RecorderDeps, maxEntries = MAX_ENTRIES, maxQueued = MAX_QUEUED_WRITES): EventRecorder {
  const seen = new Map<string, Seen>();
  const spam = newSpamFilter(d.now);
  const aggregate = newEventAggregator(d.now);
  const fail = (err: unknown, reason: string) => d.log.error({ err, reason }, `${d.component}: could not record event`);
  const queue: Array<() => Promise<void>> = [];
  let writing = false;
  let dropped = 0;
  const drain = async () => {
    writing = true;
    // Each write handles its own failure: one that fails never stops the ones behind it.
    for (let w = queue.shift(); w; w = queue.shift()) await w();
    writing = false;
  };
  /** False when the queue is full and the write was dropped. */
  const enqueue = (reason: string, write: () => Promise<void>): boolean => {
    if (queue.length >= maxQueued) {
      // Logged on the first drop and every 1,000th after, not per event.
      if (dropped++ % 1000 === 0) d.log.error({ dropped, reason }, `${d.component}: event queue full: dropping events`);
      return false;
    }
    queue.push(write);
    if (!writing) void drain();
    return true;
  };
  return {
    event(obj, resource, type, reason, message, fieldPath) {
      let ev = buildEvent(d, obj, resource, type, reason, message, fieldPath);
      const ns = ev.metadata.namespace ?? 'default';
      let key = JSON.stringify([ns, resource.kind, obj.metadata.name, obj.metadata.uid, fieldPath ?? '', type, reason, message]);
      const combined = aggregate(JSON.stringify([ns, resource.kind, obj.metadata.name, obj.metadata.uid, type, reason]), message);
      if (combined) {
        ev = { ...ev, message: combined.message };
        key = combined.key;
      }
      const prev = seen.get(key);
      seen.delete(key);
      const write = () => d.client.create(EVENTS, ns, ev).then(() => undefined, (err: unknown) => fail(err, reason));
      const fresh = (): Seen => ({ namespace: ns, name: ev.metadata.name ?? '', count: 1 });
      if (spam(ev)) {
        // EventCorrelate: observed (counted) first, then skipped by the spam filter. A skipped
        // first occurrence is remembered too: its next one patches, fails and creates, as upstream.
        if (prev) prev.count++;
        seen.set(key, prev ?? fresh());
      } else if (prev) {
        prev.count++;
        seen.set(key, prev);
        const patch = { count: prev.count, lastTimestamp: formatTime(d.now()) };
        enqueue(reason, () => d.client.patch(EVENTS, prev.namespace, prev.name, 'merge', patch).then(() => undefined, () => {
          if (seen.get(key) !== prev) return undefined;
          seen.set(key, fresh());
          return write();
        }));
      } else if (enqueue(reason, write)) {
        // A dropped Event is not remembered: its next occurrence is created, not patched.
        seen.set(key, fresh());
      }
      // Least recently seen first: the oldest go when the map is full.
      while (seen.size > maxEntries) seen.delete(seen.keys().next().value!);
    },
  };
}
