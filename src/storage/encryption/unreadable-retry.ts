/**
 * Values a KMS provider could not read for a passing reason (its plugin was down or had not given
 * this server its state yet) are retried until they read, and then the watches over the store are
 * ended so the watch cache above lists again, as upstream's reflector relists after a decode
 * error. Without it, the "unable to transform key" marker the cache took in while the plugin was
 * away would stay until the object changed. A value no key can ever read (aescbc with a removed
 * key) is not retried: nothing would change.
 *
 * Bounded: a sample of at most MAX_KEYS values is kept; once they all read, every watch is ended
 * (the relist reads all values again, and any still unreadable start the cycle over).
 */
const MAX_KEYS = 100;
const RETRY_MS = 1000;

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
  private closed = false;
  private readonly deps: UnreadableRetryDeps;

  constructor(deps: UnreadableRetryDeps) {
    this.deps = deps;
  }

  note(key: string, stored: unknown): void {
    if (this.closed) return;
    if (this.waiting.size < MAX_KEYS || this.waiting.has(key)) this.waiting.set(key, stored);
    if (!this.timer) {
      this.timer = setTimeout(() => void this.retry(), this.deps.retryMs ?? RETRY_MS);
      this.timer.unref();
    }
  }

  private async retry(): Promise<void> {
    const sample = [...this.waiting];
    let all = true;
    for (const [key, stored] of sample) {
      if (await this.deps.readable(key, stored)) this.waiting.delete(key);
      else all = false;
    }
    this.timer = undefined;
    if (this.closed) return;
    if (all) {
      this.waiting.clear();
      this.deps.relist();
    } else {
      this.timer = setTimeout(() => void this.retry(), this.deps.retryMs ?? RETRY_MS);
      this.timer.unref();
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
