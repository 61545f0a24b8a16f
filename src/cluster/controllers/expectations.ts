/**
 * ControllerExpectations / UIDTrackingControllerExpectations (controller_utils.go): what a sync
 * has asked for (creates, deletes of named pods) and the informer has not yet shown. Until the
 * watch catches up (or the expectations expire after 5 minutes, in case an event was lost) the
 * controller does not act again on that key, so it never creates twice for one gap.
 */
export const EXPECTATIONS_TIMEOUT_MS = 5 * 60 * 1000;

interface Expectation {
  add: number;
  /** Pod keys whose deletion is awaited; a second delete event of one key is not counted again. */
  dels: Set<string>;
  at: number;
}

export class Expectations {
  readonly #m = new Map<string, Expectation>();
  readonly #now: () => number;
  constructor(now: () => number) {
    this.#now = now;
  }

  /** Whether the controller may act on `key`: nothing outstanding, none recorded, or expired. */
  satisfied(key: string): boolean {
    const e = this.#m.get(key);
    if (!e) return true;
    if (e.add <= 0 && e.dels.size === 0) return true;
    return this.#now() - e.at > EXPECTATIONS_TIMEOUT_MS;
  }

  expectCreations(key: string, n: number): void {
    this.#m.set(key, { add: n, dels: new Set(), at: this.#now() });
  }

  expectDeletions(key: string, podKeys: readonly string[]): void {
    this.#m.set(key, { add: 0, dels: new Set(podKeys), at: this.#now() });
  }

  creationObserved(key: string): void {
    const e = this.#m.get(key);
    if (e) e.add--;
  }

  deletionObserved(key: string, podKey: string): void {
    this.#m.get(key)?.dels.delete(podKey);
  }

  delete(key: string): void {
    this.#m.delete(key);
  }

  /** Number of keys tracked (bounded by the live controllers: deleted on the owner's delete). */
  get size(): number {
    return this.#m.size;
  }
}
