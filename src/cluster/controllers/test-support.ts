/**
 * Test support for the workload controllers' tests: a manual work queue (delayed and rate-limited
 * keys wait until the test releases them, so nothing depends on timing) and settle(), which lets
 * the fake client's watch events and the workers run until nothing is left to do.
 */
import type { WorkQueue } from '../client/types.ts';

export class ManualQueue implements WorkQueue {
  readonly #ready: string[] = [];
  readonly #processing = new Set<string>();
  readonly #dirtyWhileProcessing = new Set<string>();
  readonly delayed = new Set<string>();
  readonly rateLimited = new Set<string>();
  #waiters: Array<(k: string | undefined) => void> = [];
  #shutDown = false;
  #gets = 0;

  add(key: string): void {
    if (this.#shutDown) return;
    if (this.#processing.has(key)) {
      this.#dirtyWhileProcessing.add(key);
      return;
    }
    if (this.#ready.includes(key)) return;
    const w = this.#waiters.shift();
    if (w) {
      this.#processing.add(key);
      w(key);
    } else this.#ready.push(key);
  }
  addAfter(key: string): void {
    this.delayed.add(key);
  }
  addRateLimited(key: string): void {
    this.rateLimited.add(key);
  }
  forget(key: string): void {
    this.rateLimited.delete(key);
  }
  get(): Promise<string | undefined> {
    if (this.#shutDown) return Promise.resolve(undefined);
    // A controller that keeps re-queueing itself would starve settle() of turns: fail instead.
    if (++this.#gets > 10_000) return Promise.reject(new Error('more than 10000 syncs: a controller keeps re-queueing itself'));
    const key = this.#ready.shift();
    if (key !== undefined) {
      this.#processing.add(key);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
  done(key: string): void {
    this.#processing.delete(key);
    if (this.#dirtyWhileProcessing.delete(key)) this.add(key);
  }
  shutDown(): void {
    this.#shutDown = true;
    for (const w of this.#waiters.splice(0)) w(undefined);
  }
  get length(): number {
    return this.#ready.length;
  }
  get busy(): boolean {
    return this.#ready.length > 0 || this.#processing.size > 0;
  }
  describe(): string {
    return `ready=${this.#ready.join(',')} processing=${[...this.#processing].join(',')}`;
  }
  /** Releases the delayed and rate-limited keys (time has passed). */
  releaseDelayed(): void {
    const keys = [...this.delayed, ...this.rateLimited];
    this.delayed.clear();
    this.rateLimited.clear();
    for (const k of keys) this.add(k);
  }
}

/** Runs the event loop until every queue has been idle for a few turns in a row (bounded). */
export async function settle(queues: readonly ManualQueue[], maxTurns = 5000): Promise<void> {
  let idle = 0;
  for (let i = 0; i < maxTurns; i++) {
    await new Promise((r) => setImmediate(r));
    if (queues.some((q) => q.busy)) idle = 0;
    else if (++idle >= 5) return;
  }
  throw new Error(`controllers did not settle: ${queues.map((q) => q.describe()).join('; ')}`);
}
