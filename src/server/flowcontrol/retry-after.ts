/**
 * The Retry-After a rejected request is told, per priority level, as upstream's
 * DroppedRequestsTracker: it starts at 1 second, doubles (up to 32) when at least 3×retryAfter
 * requests were dropped in the last retryAfter seconds (at most once per retryAfter seconds), and
 * falls by one when fewer than retryAfter were. Its history covers at most 32 seconds per level.
 */
const MAX_RETRY_AFTER = 32;

class LevelDrops {
  history: Array<{ unix: number; count: number }> = [];
  currentUnix = 0;
  currentCount = 0;
  retryAfter = 1;
  lastIncreaseUnix = 0;

  record(unix: number): void {
    if (unix === this.currentUnix) {
      this.currentCount++;
      return;
    }
    this.history.push({ unix: this.currentUnix, count: this.currentCount });
    while (this.history.length > 0 && this.currentUnix - this.history[0]!.unix > MAX_RETRY_AFTER) this.history.shift();
    this.currentUnix = unix;
    this.currentCount = 1;
    this.update(unix);
  }

  /** Over [unix - retryAfter, unix): the second just begun is not counted yet. */
  private update(unix: number): void {
    let dropped = 0;
    for (let i = this.history.length - 1; i >= 0; i--) {
      const h = this.history[i]!;
      if (unix - h.unix > this.retryAfter) break;
      if (h.unix < unix) dropped += h.count;
    }
    if (unix - this.lastIncreaseUnix >= this.retryAfter && dropped >= 3 * this.retryAfter) {
      this.retryAfter = Math.min(this.retryAfter * 2, MAX_RETRY_AFTER);
      this.lastIncreaseUnix = unix;
    } else if (dropped < this.retryAfter && this.retryAfter > 1) {
      this.retryAfter--;
    }
  }
}

export class DroppedRequests {
  readonly #levels = new Map<string, LevelDrops>();
  readonly #now: () => Date;

  constructor(now: () => Date) {
    this.#now = now;
  }

  /** Bounded by the priority levels that ever rejected; forget() drops a deleted one. */
  record(level: string): void {
    let s = this.#levels.get(level);
    if (!s) this.#levels.set(level, (s = new LevelDrops()));
    s.record(Math.floor(this.#now().getTime() / 1000));
  }

  retryAfter(level: string): number {
    return this.#levels.get(level)?.retryAfter ?? 1;
  }

  forget(keep: (level: string) => boolean): void {
    for (const name of this.#levels.keys()) if (!keep(name)) this.#levels.delete(name);
  }
}
