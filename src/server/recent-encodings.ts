/**
 * Encodings (JSON text, protobuf bodies) of stored objects, kept beside the frozen value they
 * encode so that a GET, a list and a hundred watchers of one revision encode it once, but only
 * for the most recent entries: kept for every object the watch cache holds, they doubled the
 * memory of each one (a bound pod is ~3.5 KB of JSON text besides its parsed form; issue 12, 150,000
 * pods). Upstream keeps no encoding beside its watch cache's objects at all, only one per event
 * while the event is dispatched (cachingObject). The watchers of an event are served within a
 * backlog of 1,000 events (storage/watch-queue.ts), so a few thousand recent entries keep the
 * fan-out's sharing; an older object is encoded again when it is read.
 * Bounded in entries and bytes, oldest first out. The order keeps its keys strongly (a bounded
 * number of recent values, which the watch cache's ring holds anyway).
 */
export class RecentEncodings<V> {
  readonly #byKey = new WeakMap<object, { value: V; bytes: number }>();
  readonly #order: Array<object | undefined>;
  readonly #maxBytes: number;
  #head = 0;
  #size = 0;
  #bytes = 0;

  constructor(maxEntries: number, maxBytes: number) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
    if (!(maxBytes > 0)) throw new RangeError(`maxBytes must be positive, got ${maxBytes}`);
    this.#order = new Array<object | undefined>(maxEntries);
    this.#maxBytes = maxBytes;
  }

  /** Entries and bytes held (tests, metrics). */
  get size(): number {
    return this.#size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get(key: object): V | undefined {
    return this.#byKey.get(key)?.value;
  }

  /** Keep `value` (of `bytes`) for `key`; one larger than the whole bound is not kept. */
  set(key: object, value: V, bytes: number): void {
    const held = this.#byKey.get(key);
    if (held) {
      // Same place in the order: a new encoding of a value already held (another revision).
      this.#bytes += bytes - held.bytes;
      held.value = value;
      held.bytes = bytes;
    } else {
      if (bytes > this.#maxBytes) return;
      const cap = this.#order.length;
      if (this.#size === cap) this.#evictOldest();
      this.#order[(this.#head + this.#size) % cap] = key;
      this.#size++;
      this.#byKey.set(key, { value, bytes });
      this.#bytes += bytes;
    }
    while (this.#bytes > this.#maxBytes && this.#size > 0) this.#evictOldest();
  }

  #evictOldest(): void {
    const key = this.#order[this.#head] as object;
    this.#order[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#order.length;
    this.#size--;
    const held = this.#byKey.get(key);
    if (held) this.#bytes -= held.bytes;
    this.#byKey.delete(key);
  }
}
