/**
 * A ring of recent events, oldest first, for the watch cache, bounded in events and in bytes:
 * a count alone would let a few large objects, rewritten often, pin gigabytes (10,000 versions
 * of a 256 KiB ConfigMap). `from` is the revision after which the ring is complete: every event
 * with revision > from is still held, so a watch from any revision >= from can be served from
 * memory.
 */
import type { EncodedEvent } from './watch-queue.ts';

export class EventRing {
  private readonly slots: Array<EncodedEvent | undefined>;
  private head = 0; // index of the oldest event
  private size = 0;
  private complete: number;
  private readonly maxBytes: number;
  private readonly sizes: number[];
  private total = 0;

  constructor(capacity: number, from: number, maxBytes = Number.POSITIVE_INFINITY) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`history size must be a positive integer, got ${capacity}`);
    if (!(maxBytes >= 1)) throw new RangeError(`history bytes must be positive, got ${maxBytes}`);
    this.slots = new Array<EncodedEvent | undefined>(capacity);
    this.sizes = new Array<number>(capacity).fill(0);
    this.complete = from;
    this.maxBytes = maxBytes;
  }

  /** Bytes the held events account for. */
  get bytes(): number {
    return this.total;
  }

  get from(): number {
    return this.complete;
  }

  get length(): number {
    return this.size;
  }

  /** Add the newest event; `bytes` is what it pins. The newest event is always kept. */
  push(e: EncodedEvent, bytes = 0): void {
    const cap = this.slots.length;
    while (this.size > 0 && (this.size === cap || this.total + bytes > this.maxBytes)) this.evictOldest();
    const i = (this.head + this.size) % cap;
    this.slots[i] = e;
    this.sizes[i] = bytes;
    this.total += bytes;
    this.size++;
  }

  /** Evicting the oldest event means watches from before it can no longer be served from here. */
  private evictOldest(): void {
    const cap = this.slots.length;
    this.complete = (this.slots[this.head] as EncodedEvent).revision;
    this.slots[this.head] = undefined;
    this.total -= this.sizes[this.head];
    this.sizes[this.head] = 0;
    this.head = (this.head + 1) % cap;
    this.size--;
  }

  private at(i: number): EncodedEvent {
    return this.slots[(this.head + i) % this.slots.length] as EncodedEvent;
  }

  /** Events with revision > `revision`, oldest first. */
  *after(revision: number): Generator<EncodedEvent> {
    // Binary search: revisions in the ring ascend.
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid).revision <= revision) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.size; i++) yield this.at(i);
  }
}
