/**
 * The kubelet's container restart backoff (client-go flowcontrol.Backoff as kuberuntime uses it):
 * per container, the first restart is immediate, then 10 s doubling to 5 min; an entry whose last
 * restart is more than twice the maximum (10 min) before the container's exit has expired, so a
 * container that ran that long starts over at 10 s. Entries are dropped with their pod (bounded
 * by the pods on the node) and when expired.
 */
import { formatGoDuration } from '../../util/duration.ts';

export const INITIAL_BACKOFF_MS = 10_000;
export const MAX_BACKOFF_MS = 300_000;

interface Entry {
  backoffMs: number;
  lastUpdate: number;
}

export class CrashBackoff {
  #entries = new Map<string, Entry>();
  #now: () => number;
  #initial: number;
  #max: number;

  constructor(now: () => number, initialMs = INITIAL_BACKOFF_MS, maxMs = MAX_BACKOFF_MS) {
    this.#now = now;
    this.#initial = initialMs;
    this.#max = maxMs;
  }

  #expired(eventTime: number, e: Entry): boolean {
    return eventTime - e.lastUpdate > 2 * this.#max;
  }

  /** IsInBackOffSince: still waiting out the delay counted from `eventTime` (the container's exit). */
  inBackoffSince(key: string, eventTime: number): boolean {
    const e = this.#entries.get(key);
    if (!e || this.#expired(eventTime, e)) return false;
    return this.#now() - eventTime < e.backoffMs;
  }

  /** IsInBackOffSinceUpdate: still waiting out the delay counted from the last next() (image pulls). */
  inBackoffSinceUpdate(key: string): boolean {
    const e = this.#entries.get(key);
    const now = this.#now();
    if (!e || this.#expired(now, e)) return false;
    return now - e.lastUpdate < e.backoffMs;
  }

  /** The current delay of `key` (for the CrashLoopBackOff message). */
  get(key: string): number {
    return this.#entries.get(key)?.backoffMs ?? 0;
  }

  /** Next: a restart happens now; the following one waits twice as long (capped). */
  next(key: string, eventTime: number): void {
    const e = this.#entries.get(key);
    if (!e || this.#expired(eventTime, e)) this.#entries.set(key, { backoffMs: this.#initial, lastUpdate: this.#now() });
    else this.#entries.set(key, { backoffMs: Math.min(e.backoffMs * 2, this.#max), lastUpdate: this.#now() });
  }

  /** Forgets every entry whose key starts with `prefix` (a pod's, when it goes). */
  forget(prefix: string): void {
    for (const k of this.#entries.keys()) if (k.startsWith(prefix)) this.#entries.delete(k);
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** Go's time.Duration String of a delay rounded to whole seconds ("10s", "1m20s", "5m0s"), as the message shows it. */
export function goDuration(ms: number): string {
  return formatGoDuration(BigInt(Math.round(ms / 1000)) * 1_000_000_000n);
}
