/**
 * A fixed-size ring of recent events, oldest first, for the watch cache. `from` is the revision
 * after which the ring is complete: every event with revision > from is still held, so a watch
 * from any revision >= from can be served from memory.
 */
import type { EncodedEvent } from './watch-queue.ts';

export class EventRing {
  private readonly slots: Array<EncodedEvent | undefined>;
  private head = 0; // index of the oldest event
  private size = 0;
  private complete: number;

  constructor(capacity: number, from: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`history size must be a positive integer, got ${capacity}`);
    this.slots = new Array<EncodedEvent | undefined>(capacity);
    this.complete = from;
  }

  get from(): number {
    return this.complete;
  }

  get length(): number {
    return this.size;
  }

  push(e: EncodedEvent): void {
    const cap = this.slots.length;
    if (this.size === cap) {
      // Evicting the oldest event means watches from before it can no longer be served.
      this.complete = (this.slots[this.head] as EncodedEvent).revision;
      this.slots[this.head] = e;
      this.head = (this.head + 1) % cap;
      return;
    }
    this.slots[(this.head + this.size) % cap] = e;
    this.size++;
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
