/**
 * Event series, as client-go's tools/events broadcaster makes them (event_broadcaster.go
 * recordToSink, finishSeries, refreshExistingEventSeries): an Event isomorphic to one recorded
 * before (same type, action, reason, reportingController, reportingInstance, regarding and
 * related) is not written again as a new Event. The second occurrence gives the first a series
 * {count: 2, lastObservedTime} (written as a patch of the series); later ones only count, and the
 * series is written every 30 minutes and once more when nothing was observed for 6 minutes, when it
 * is forgotten; an event that never repeated is forgotten 6 minutes after its eventTime.
 * Upstream keeps every event of the last 6 minutes; here at most `maxEvents` (oldest forgotten
 * first), so at thousands of pods a second memory stays bounded, at the price of a repeat of a
 * forgotten event becoming a new Event.
 */
import { rfc3339Micro } from '../../api/time.ts';
import { isNotFound } from '../client/errors.ts';
import { resources } from '../client/resources.ts';
import type { ApiClient, K8sObject } from '../client/types.ts';

/** finishTime: a series with no occurrence for this long is written a last time and forgotten. */
export const FINISH_MS = 6 * 60_000;
/** refreshTime: how often every live series is written. */
export const REFRESH_MS = 30 * 60_000;
export const MAX_EVENTS = 4096;

export interface Series {
  count: number;
  lastObservedTime: string;
}

type Recorded = K8sObject & { series?: Series };

export interface EventSeriesOptions {
  /** Where writes go: an event without series is created, one with a series patched (created if gone). */
  record(event: K8sObject): void;
  now: () => number;
  maxEvents?: number;
}

export class EventSeriesCache {
  readonly #o: EventSeriesOptions;
  readonly #max: number;
  /** Isomorphic key -> this side's copy of the event (its series grows here). */
  readonly #events = new Map<string, Recorded>();

  constructor(o: EventSeriesOptions) {
    this.#o = o;
    this.#max = o.maxEvents ?? MAX_EVENTS;
  }

  get size(): number {
    return this.#events.size;
  }

  record(event: K8sObject): void {
    const key = isomorphicKey(event);
    const known = this.#events.get(key);
    if (!known) {
      if (this.#events.size >= this.#max) this.#events.delete(this.#events.keys().next().value!);
      // Our own copy: the series is added to it, never to the event queued for writing.
      this.#events.set(key, { ...event });
      this.#o.record(event);
      return;
    }
    const at = rfc3339Micro(this.#o.now());
    if (known.series) {
      known.series.count++;
      known.series.lastObservedTime = at;
      return;
    }
    known.series = { count: 2, lastObservedTime: at };
    this.#o.record(withSeries(known));
  }

  /** finishSeries: the last write of series that ended, and forgetting what is older than FINISH_MS. */
  finish(): void {
    const cutoff = this.#o.now() - FINISH_MS;
    for (const [key, e] of this.#events) {
      if (e.series) {
        if (Date.parse(e.series.lastObservedTime) < cutoff) {
          this.#o.record(withSeries(e));
          this.#events.delete(key);
        }
      } else if (Date.parse(String(e.eventTime)) < cutoff) this.#events.delete(key);
    }
  }

  /** refreshExistingEventSeries: every live series written again (its count so far). */
  refresh(): void {
    for (const e of this.#events.values()) if (e.series) this.#o.record(withSeries(e));
  }
}

function withSeries(e: Recorded): K8sObject {
  return { ...e, series: { ...e.series! } };
}

/** getKey: what makes two events the same one happening again. */
export function isomorphicKey(e: K8sObject): string {
  return JSON.stringify([e.type, e.action, e.reason, e.reportingController, e.reportingInstance, e.regarding ?? null, e.related ?? null]);
}

/**
 * recordEvent: an event with a series patches the series of the Event already written (a
 * strategic merge patch of just that field, as createPatchBytesForSeries makes); one that is gone
 * is created again, as is every first occurrence.
 */
export async function writeEvent(client: ApiClient, e: K8sObject): Promise<void> {
  const namespace = e.metadata.namespace ?? '';
  if (e.series) {
    try {
      await client.patch(resources.eventsV1, namespace, e.metadata.name ?? '', 'strategic', { series: e.series });
      return;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  const { resourceVersion: _rv, ...metadata } = e.metadata;
  await client.create(resources.eventsV1, namespace, { ...e, metadata });
}
