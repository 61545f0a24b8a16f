/**
 * A ring of recent events, oldest first, for the watch cache, bounded in events and in bytes:
 * a count alone would let a few large objects, rewritten often, pin gigabytes (10,000 versions
 * of a 256 KiB ConfigMap). `from` is the revision after which the ring is complete: every event
 * with revision > from is still held, so a watch from any revision >= from can be served from
 * memory.
 *
 * The watch cache keeps one ring per resource (watch-history.ts), most of them holding a handful
 * of events under a capacity of 100k: the slots grow by doubling as events arrive and shrink by
 * half when three quarters are unused, so a ring costs about what it holds, not its capacity.
 *
 * With a time window (upstream's eventFreshDuration, 75 s, in the cacher's watch_cache.go) the
 * ring holds as upstream's: at most `limit` events, starting at 100; when full, the limit doubles
 * (up to the capacity) while the oldest event is younger than the window, and halves (not below
 * 100) when even the newest quarter is older. So a resource written 500 times a second (5,000
 * kubelets' Leases) keeps 51,200 events, ~100 s, instead of the capacity's 102,400.
 */
import type { EncodedEvent } from './watch-queue.ts';

/** Slots a ring starts with and never shrinks below. */
const MIN_SLOTS = 8;

/** The limit a windowed ring starts with and never shrinks below (upstream's defaultLowerBoundCapacity). */
export const LOWER_BOUND = 100;

/** How long events stay fresh, and the clock that says when they were recorded. */
export interface RingWindow {
  ms: number;
  now: () => number;
}

export class EventRing {
  private slots: Array<EncodedEvent | undefined>;
  private sizes: number[];
  /** When each event was recorded (window.now()); empty without a window. */
  private times: number[];
  private head = 0; // index of the oldest event
  private size = 0;
  private complete: number;
  private readonly capacity: number;
  private readonly maxBytes: number;
  private total = 0;
  private readonly window: RingWindow | undefined;
  /** Events held at most now: the capacity, or with a window what its resizing has come to. */
  private limit: number;

  constructor(capacity: number, from: number, maxBytes = Number.POSITIVE_INFINITY, window?: RingWindow) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`history size must be a positive integer, got ${capacity}`);
    if (!(maxBytes >= 1)) throw new RangeError(`history bytes must be positive, got ${maxBytes}`);
    this.capacity = capacity;
    const n = Math.min(capacity, MIN_SLOTS);
    this.slots = new Array<EncodedEvent | undefined>(n);
    this.sizes = new Array<number>(n).fill(0);
    this.times = window ? new Array<number>(n).fill(0) : [];
    this.complete = from;
    this.maxBytes = maxBytes;
    this.window = window;
    this.limit = window ? Math.min(capacity, LOWER_BOUND) : capacity;
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
    const now = this.window?.now() ?? 0;
    if (this.window && this.size >= this.limit) this.resizeLimit(now, this.window.ms);
    while (this.size > 0 && (this.size >= this.limit || this.total + bytes > this.maxBytes)) this.evictOldest();
    if (this.size === this.slots.length) this.resize(Math.min(this.capacity, this.slots.length * 2));
    const i = (this.head + this.size) % this.slots.length;
    this.slots[i] = e;
    this.sizes[i] = bytes;
    if (this.window) this.times[i] = now;
    this.total += bytes;
    this.size++;
  }

  /** Upstream's resizeCacheLocked, for a full ring: grow while all it holds is fresh, shrink when its newest quarter is stale. */
  private resizeLimit(now: number, ms: number): void {
    if (now - this.timeAt(0) < ms) this.limit = Math.min(this.limit * 2, this.capacity);
    else if (now - this.timeAt(this.size - Math.max(1, this.limit >>> 2)) > ms) this.limit = Math.max(this.limit >>> 1, Math.min(this.capacity, LOWER_BOUND));
  }

  private timeAt(i: number): number {
    return this.times[(this.head + i) % this.slots.length]!;
  }

  /**
   * Drop the oldest event (the ring must not be empty): watches from before it can no longer be
   * served from here. The watch cache calls it to keep its bounds across all resources.
   */
  evictOldest(): void {
    const len = this.slots.length;
    this.complete = (this.slots[this.head] as EncodedEvent).revision;
    this.slots[this.head] = undefined;
    this.total -= this.sizes[this.head]!;
    this.sizes[this.head] = 0;
    this.head = (this.head + 1) % len;
    this.size--;
    if (len > MIN_SLOTS && this.size * 4 <= len) this.resize(Math.max(MIN_SLOTS, len >>> 1));
  }

  /** Move the held events, oldest first, into `n` slots (n >= size). */
  private resize(n: number): void {
    const slots = new Array<EncodedEvent | undefined>(n);
    const sizes = new Array<number>(n).fill(0);
    const times = this.window ? new Array<number>(n).fill(0) : this.times;
    for (let i = 0; i < this.size; i++) {
      const j = (this.head + i) % this.slots.length;
      slots[i] = this.slots[j];
      sizes[i] = this.sizes[j]!;
      if (this.window) times[i] = this.times[j]!;
    }
    this.slots = slots;
    this.sizes = sizes;
    this.times = times;
    this.head = 0;
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
