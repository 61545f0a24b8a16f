/**
 * Concurrent calls with the same key share one execution (Go's singleflight): admission of a
 * Deployment's pods, or pulls of one image by several pods, make one registry round trip. Only
 * calls in flight are held, so the map is bounded by the concurrency, not by history.
 */
export class SingleFlight<V> {
  private readonly inFlight = new Map<string, Promise<V>>();

  do(key: string, fn: () => Promise<V>): Promise<V> {
    const existing = this.inFlight.get(key);
    if (existing) return existing;
    const p = fn().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
    return p;
  }

  get size(): number {
    return this.inFlight.size;
  }
}
