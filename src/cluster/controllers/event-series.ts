/**
 * An event recorder that counts repeats, as client-go's EventCorrelator (eventObserve) does for
 * the kubelet: an occurrence identical to one recorded before (same object and field path, type,
 * reason, message) patches that Event's count and lastTimestamp instead of creating another, so a probe failing every period is one Event "x42" rather than 42 Events.
 * The memory of recorded events is an LRU of at most 4,096 entries (upstream's maxLruCacheEntries);
 * a patch that fails (the Event expired or was deleted) creates a new one.
 */
import { EVENTS } from './resources.ts';
import { buildEvent, type EventRecorder, type RecorderDeps } from './events.ts';
import { formatTime } from './pod-util.ts';

const MAX_ENTRIES = 4096;

interface Seen {
  namespace: string;
  name: string;
  count: number;
}

export function newCountingEventRecorder(d: RecorderDeps, maxEntries = MAX_ENTRIES): EventRecorder {
  const seen = new Map<string, Seen>();
  const fail = (err: unknown, reason: string) => d.log.error({ err, reason }, `${d.component}: could not record event`);
  return {
    event(obj, resource, type, reason, message, fieldPath) {
      const ev = buildEvent(d, obj, resource, type, reason, message, fieldPath);
      const ns = ev.metadata.namespace ?? 'default';
      const key = JSON.stringify([ns, resource.kind, obj.metadata.name, obj.metadata.uid, fieldPath ?? '', type, reason, message]);
      const prev = seen.get(key);
      seen.delete(key);
      const create = () => {
        seen.set(key, { namespace: ns, name: ev.metadata.name ?? '', count: 1 });
        d.client.create(EVENTS, ns, ev).catch((err) => fail(err, reason));
      };
      if (prev) {
        prev.count++;
        seen.set(key, prev);
        d.client.patch(EVENTS, prev.namespace, prev.name, 'merge', { count: prev.count, lastTimestamp: formatTime(d.now()) }).catch(() => {
          if (seen.get(key) === prev) create();
        });
      } else create();
      // Least recently seen first: the oldest go when the map is full.
      while (seen.size > maxEntries) seen.delete(seen.keys().next().value!);
    },
  };
}
