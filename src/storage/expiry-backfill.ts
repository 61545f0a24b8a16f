/**
 * Gives an expiry to keys under a prefix that were written without one: Events stored before
 * --event-ttl existed, or while it was 0, which would otherwise stay forever. Each gets what
 * upstream's TTL would have given it: its last write + the TTL, capped at the TTL from now; one
 * whose time has passed is due now (ttl 0), and the store's own expiry removes it (the SQLite
 * sweeper, etcd's lessor) as an ordinary delete with its DELETED event. When the value does not
 * say when it was written (encrypted, or no timestamp parses), the full TTL from now.
 *
 * Bounded: a step examines at most `chunk` keys and gives at most that many expiries, and a step
 * that gave any is followed by a pause, so the due ones are removed a step at a time rather than
 * all at once after a start. Resumable: a store keeps each expiry given (an etcd lease, a SQLite
 * row), and a page returns only keys without one, so a start after a stop half way gives the rest;
 * a key written meanwhile is skipped (attach is guarded by the revision read). A failed step is
 * tried again from where it stopped after `retryMs`.
 */
import type { UnexpiringKeys } from './unexpiring-keys.ts';

export interface ExpiryBackfillOptions {
  keys: UnexpiringKeys;
  prefix: string;
  /** The TTL in force, whole seconds > 0. */
  ttlSeconds: number;
  /** When the stored value was last written (ms since the epoch); undefined when it does not say. */
  writtenAt: (value: unknown) => number | undefined;
  now?: () => number;
  /** Keys examined per step (default 500, the SQLite sweeper's batch). */
  chunk?: number;
  /** After a step that gave expiries (default 1,000 ms, the sweeper's interval). */
  pauseMs?: number;
  /** After a failed step (default 5,000 ms). */
  retryMs?: number;
  onError?: (err: unknown) => void;
}

/** The whole seconds a key written at `writtenAt` has left of `ttlSeconds` at `now`: 0 to ttlSeconds. */
export function remainingSeconds(writtenAt: number | undefined, ttlSeconds: number, now: number): number {
  if (writtenAt === undefined || !Number.isFinite(writtenAt)) return ttlSeconds;
  const left = Math.ceil((Math.min(writtenAt, now) + ttlSeconds * 1000 - now) / 1000);
  return Math.max(0, Math.min(ttlSeconds, left));
}

export class ExpiryBackfill {
  /** Resolves with the number of expiries given once the prefix was examined to its end, or at stop(). */
  readonly done: Promise<number>;
  private readonly opts: ExpiryBackfillOptions;
  private stopped = false;
  private wake: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(opts: ExpiryBackfillOptions) {
    this.opts = opts;
    this.done = this.run();
  }

  /** No further step; resolves once the one running (if any) has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.wake?.();
    await this.done;
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    // No pause: the next step after this turn (an unref'd timer alone would let the process exit).
    if (ms <= 0) return new Promise((resolve) => setImmediate(resolve));
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms);
      this.timer.unref();
    });
  }

  private async run(): Promise<number> {
    const { keys, prefix, ttlSeconds, writtenAt } = this.opts;
    const now = this.opts.now ?? Date.now;
    const chunk = this.opts.chunk ?? 500;
    let cursor: string | undefined;
    let given = 0;
    // A turn of the event loop first: the caller finishes starting before the first read.
    await new Promise((r) => setImmediate(r));
    while (!this.stopped) {
      let next: string | undefined;
      let gave = 0;
      try {
        const page = await keys.page(prefix, cursor, chunk);
        if (this.stopped) break;
        const t = now();
        const grants = page.items.map((o) => ({ key: o.key, modRevision: o.modRevision, ttlSeconds: remainingSeconds(writtenAt(o.value), ttlSeconds, t) }));
        if (grants.length > 0) gave = await keys.attach(grants);
        next = page.next;
      } catch (err) {
        if (this.stopped) break;
        this.opts.onError?.(err);
        await this.sleep(this.opts.retryMs ?? 5000);
        continue;
      }
      given += gave;
      if (next === undefined) break;
      cursor = next;
      if (gave > 0) await this.sleep(this.opts.pauseMs ?? 1000);
    }
    return given;
  }
}
