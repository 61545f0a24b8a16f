/**
 * finalizerExpectations (tracking_utils.go): the pods whose tracking finalizer a sync removed and
 * the informer has not yet shown without it. Until then a sync must not count such a pod again:
 * the Job's status may already hold it while the cached pod still carries the finalizer. Entries
 * go when the pod is seen without the finalizer or deleted, and with their Job, so the map is
 * bounded by the Jobs in flight.
 */
export class FinalizerExpectations {
  readonly #m = new Map<string, Set<string>>();

  expectRemoved(jobKey: string, uids: readonly string[]): void {
    if (uids.length === 0) return;
    const s = this.#m.get(jobKey) ?? new Set<string>();
    for (const u of uids) s.add(u);
    this.#m.set(jobKey, s);
  }

  observed(jobKey: string, uid: string): void {
    const s = this.#m.get(jobKey);
    if (!s) return;
    s.delete(uid);
    if (s.size === 0) this.#m.delete(jobKey);
  }

  expected(jobKey: string): ReadonlySet<string> {
    return this.#m.get(jobKey) ?? new Set();
  }

  delete(jobKey: string): void {
    this.#m.delete(jobKey);
  }

  get size(): number {
    return this.#m.size;
  }
}
