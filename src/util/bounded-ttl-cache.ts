/**
 * A cache whose entries expire after their TTL and which never holds more than `maxEntries`:
 * when full, the oldest insertion goes first. Keys come from clients (tokens, request
 * attributes), so without the bound every new key would be memory the server keeps for the
 * whole TTL; with it, ever-new keys only push out old entries.
 */
export class BoundedTtlCache<V> {
  readonly #max: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, { value: V; expires: number }>();

  constructor(maxEntries: number, now: () => number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new Error(`cache size must be a positive integer, got ${maxEntries}`);
    this.#max = maxEntries;
    this.#now = now;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The live value for the key; an expired entry is dropped. */
  get(key: string): V | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    if (e.expires > this.#now()) return e.value;
    this.#entries.delete(key);
    return undefined;
  }

  /** Keeps the value for ttlMs (nothing is kept for ttlMs <= 0). */
  set(key: string, value: V, ttlMs: number): void {
    if (!(ttlMs > 0)) return;
    // Re-inserting moves the key to the young end, so eviction order stays insertion order.
    this.#entries.delete(key);
    if (this.#entries.size >= this.#max) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, { value, expires: this.#now() + ttlMs });
  }
}
