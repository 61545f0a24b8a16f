/**
 * Runs an async task one at a time, with requests coalesced: however many come while a run is
 * pending or in progress, they make one more run (a burst of informer events becomes one render).
 * A run that throws is reported and retried after `retryMs`.
 */
export class CoalescedTask {
  readonly #task: () => Promise<void>;
  readonly #retryMs: number;
  readonly #onError: (err: unknown) => void;
  #running: Promise<void> = Promise.resolve();
  #scheduled = false;
  #stopped = false;
  #retry?: NodeJS.Timeout;

  constructor(task: () => Promise<void>, o: { retryMs: number; onError(err: unknown): void }) {
    this.#task = task;
    this.#retryMs = o.retryMs;
    this.#onError = o.onError;
  }

  schedule(): void {
    if (this.#scheduled || this.#stopped) return;
    this.#scheduled = true;
    this.#running = this.#running.then(() => new Promise<void>((r) => setImmediate(r))).then(() => this.#run());
  }

  /** Resolves when no run is pending or in progress. */
  async idle(): Promise<void> {
    for (;;) {
      const r = this.#running;
      await r;
      if (r === this.#running && !this.#scheduled) return;
    }
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retry);
  }

  async #run(): Promise<void> {
    this.#scheduled = false;
    if (this.#stopped) return;
    try {
      await this.#task();
    } catch (err) {
      this.#onError(err);
      clearTimeout(this.#retry);
      this.#retry = setTimeout(() => this.schedule(), this.#retryMs);
      this.#retry.unref?.();
    }
  }
}
