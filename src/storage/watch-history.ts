/**
 * The watch cache's recent events, one ring per resource (resource-prefix.ts), as upstream keeps
 * a watch cache per resource: a flood of pods or Events no longer pushes out the ConfigMaps'
 * history, so a quiet informer resumes from memory instead of from the store's log.
 *
 * Bounds, and why memory stays bounded however many resources (CRDs) there are:
 * - per resource, at most `perResource` events (upstream's defaultUpperBoundCapacity, 100 * 1024),
 *   and with a window only as many as arrived in about its length (upstream's eventFreshDuration);
 * - across all resources, at most `totalEvents` events and `totalBytes` bytes of values (the JSON
 *   size the store reports). When a push would exceed either, the ring using the largest share
 *   of the bounds (max of its events / totalEvents and its bytes / totalBytes) drops its oldest
 *   event: whoever floods pays with its own history, and the quiet resources keep theirs until
 *   they are the largest (max-min fairness).
 * - A resource's ring exists only while it holds an event (an emptied ring is dropped), so there
 *   are never more rings than `totalEvents`, and each ring's slots are at most about 4x its events
 *   (event-ring.ts). Memory is O(totalEvents + totalBytes), whatever the number of resources.
 *
 * A dropped (or never seen) resource is complete from `absentFrom`: the newest revision up to
 * which any dropped ring had lost events. A resource with no ring had no event since it was
 * dropped, so none after absentFrom is missing.
 */
import { EventRing, type RingWindow } from './event-ring.ts';
import { bucketOfKey, resourcePrefixEnd, resourcePrefixOf } from './resource-prefix.ts';
import type { EncodedEvent } from './watch-queue.ts';

export interface HistoryBounds {
  perResource: number;
  totalEvents: number;
  totalBytes: number;
  /** Each resource's ring sized by time as upstream's (event-ring.ts); absent: by the bounds alone. */
  window?: RingWindow;
}

interface Bucket {
  prefix: string;
  ring: EventRing;
  /** Position in the heap; -1 once dropped. */
  pos: number;
}

/** Buckets remembered as recently pushed to: most events find theirs without making a string. */
const RECENT = 4;

export class WatchHistory {
  private readonly buckets = new Map<string, Bucket>();
  /** Max-heap of the buckets by share of the bounds: heap[0] pays for the next eviction. */
  private readonly heap: Bucket[] = [];
  private readonly recent: Bucket[] = [];
  private absentFrom: number;
  private events = 0;
  private bytes = 0;
  private readonly bounds: HistoryBounds;

  constructor(from: number, bounds: HistoryBounds) {
    this.absentFrom = from;
    this.bounds = bounds;
  }

  /** Events held across all resources. */
  get length(): number {
    return this.events;
  }

  /** Bytes their values account for. */
  get totalBytes(): number {
    return this.bytes;
  }

  /** Events held for one resource prefix (as resourcePrefixOf names it). */
  lengthOf(prefix: string): number {
    return this.buckets.get(prefix)?.ring.length ?? 0;
  }

  /** The revision after which every event under `prefix` is still held. */
  from(prefix: string): number {
    const r = resourcePrefixOf(prefix);
    if (r !== undefined) return this.buckets.get(r)?.ring.from ?? this.absentFrom;
    // A watch across resources needs every one of them complete.
    let from = this.absentFrom;
    for (const b of this.buckets.values()) if (b.ring.from > from) from = b.ring.from;
    return from;
  }

  /** Events with revision > `revision` whose keys may lie under `prefix`, oldest first. */
  after(prefix: string, revision: number): Iterable<EncodedEvent> {
    const r = resourcePrefixOf(prefix);
    if (r !== undefined) return this.buckets.get(r)?.ring.after(revision) ?? [];
    const all: EncodedEvent[] = [];
    for (const b of this.buckets.values()) for (const e of b.ring.after(revision)) all.push(e);
    return all.sort((a, b) => a.revision - b.revision);
  }

  /** Add the newest event; `bytes` is what it pins. */
  push(e: EncodedEvent, bytes: number): void {
    const { perResource, totalEvents, totalBytes } = this.bounds;
    let b = this.bucketOf(e.key);
    // Make room across resources first; the newest event is always kept.
    while (this.events > 0 && (this.events + 1 > totalEvents || this.bytes + bytes > totalBytes)) this.evictFrom(this.heap[0]!, b);
    if (!b) {
      const prefix = bucketOfKey(e.key);
      b = { prefix, ring: new EventRing(perResource, this.absentFrom, Number.POSITIVE_INFINITY, this.bounds.window), pos: this.heap.length };
      this.buckets.set(prefix, b);
      this.heap.push(b);
      this.remember(b);
    }
    const n = b.ring.length;
    const before = b.ring.bytes;
    b.ring.push(e, bytes); // evicts its own oldest at perResource
    this.events += b.ring.length - n;
    this.bytes += b.ring.bytes - before;
    this.fix(b);
  }

  /** The bucket of a stored key (bucketOfKey), if it has one. */
  private bucketOf(key: string): Bucket | undefined {
    const end = Math.max(0, resourcePrefixEnd(key));
    for (const b of this.recent) if (b.prefix.length === end && key.startsWith(b.prefix)) return b;
    const b = this.buckets.get(key.slice(0, end));
    if (b) this.remember(b);
    return b;
  }

  private remember(b: Bucket): void {
    if (this.recent.length === RECENT) this.recent.pop();
    this.recent.unshift(b);
  }

  private evictFrom(victim: Bucket, pushing: Bucket | undefined): void {
    const before = victim.ring.bytes;
    victim.ring.evictOldest();
    this.events--;
    this.bytes -= before - victim.ring.bytes;
    if (victim.ring.length === 0 && victim !== pushing) {
      if (victim.ring.from > this.absentFrom) this.absentFrom = victim.ring.from;
      this.buckets.delete(victim.prefix);
      this.removeFromHeap(victim);
      victim.pos = -1;
      const i = this.recent.indexOf(victim);
      if (i >= 0) this.recent.splice(i, 1);
    } else {
      this.fix(victim);
    }
  }

  private share(b: Bucket): number {
    return Math.max(b.ring.length / this.bounds.totalEvents, b.ring.bytes / this.bounds.totalBytes);
  }

  private removeFromHeap(b: Bucket): void {
    const last = this.heap.pop()!;
    if (last === b) return;
    this.heap[b.pos] = last;
    last.pos = b.pos;
    this.fix(last);
  }

  /** Restore the heap order around `b` after its share changed. */
  private fix(b: Bucket): void {
    const heap = this.heap;
    const s = this.share(b);
    let i = b.pos;
    while (i > 0) {
      const parent = (i - 1) >>> 1;
      if (this.share(heap[parent]!) >= s) break;
      heap[i] = heap[parent]!;
      heap[i].pos = i;
      i = parent;
    }
    for (;;) {
      const l = 2 * i + 1;
      if (l >= heap.length) break;
      const r = l + 1;
      const c = r < heap.length && this.share(heap[r]!) > this.share(heap[l]!) ? r : l;
      if (this.share(heap[c]!) <= s) break;
      heap[i] = heap[c]!;
      heap[i].pos = i;
      i = c;
    }
    heap[i] = b;
    b.pos = i;
  }
}
