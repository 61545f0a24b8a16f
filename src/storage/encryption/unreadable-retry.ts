/**
 * Values a KMS provider could not read for a passing reason (its plugin was down or had not given
 * this server its state yet) are retried until they read, and then the watches over the store are
 * ended so the watch cache above lists again, as upstream's reflector relists after a decode
 * error. Without it, the "unable to transform key" marker the cache took in while the plugin was
 * away would stay until the object changed. A value no key can ever read (aescbc with a removed
 * key) is not retried: nothing would change.
 *
 * Bounded: a sample of at most MAX_KEYS values is kept; once they all read, every watch is ended
 * (the relist reads all values again, and any still unreadable start the cycle over). A try stops
 * at the first value that still fails, and the tries back off (1 s doubling to 30 s), so a value
 * that never reads costs the plugin one call per try.
 */
const MAX_KEYS = 100;
const RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;

export interface UnreadableRetryDeps {
  /** Whether the value reads now (after any plugin call it needs). */
  readable(key: string, stored: unknown): Promise<boolean>;
  /** End the watches: the consumer relists. */
  relist(): void;
  retryMs?: number;
}

export class UnreadableRetry {
  private readonly waiting = new Map<string, unknown>();
  private timer?: NodeJS.Timeout;
  private delayMs: number;
  private closed = false;
  private readonly deps: UnreadableRetryDeps;

  constructor(deps: UnreadableRetryDeps) {
    this.deps = deps;
    this.delayMs = deps.retryMs ?? RETRY_MS;
  }

  note(key: string, stored: unknown): void {
    if (this.closed) return;
    if (this.waiting.size < MAX_KEYS || this.waiting.has(key)) this.waiting.set(key, stored);
    if (!this.timer) this.schedule();
  }

  private schedule(): void {
    this.timer = setTimeout(() => void this.retry(), this.delayMs);
    this.timer.unref();
  }

  private async retry(): Promise<void> {
    let all = true;
    for (const [key, stored] of [...this.waiting]) {
      // A check that throws counts as still unreadable: the retries go on (and no rejection escapes the timer).
      if (!(await this.deps.readable(key, stored).catch(() => false))) {
        all = false;
        break;
      }
      this.waiting.delete(key);
    }
    this.timer = undefined;
    if (this.closed) return;
    if (all) {
      this.waiting.clear();
      this.delayMs = this.deps.retryMs ?? RETRY_MS;
      this.deps.relist();
    } else {
      this.delayMs = Math.min(this.delayMs * 2, MAX_RETRY_MS);
      this.schedule();
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
