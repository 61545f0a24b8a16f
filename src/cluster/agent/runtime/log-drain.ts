/**
 * An exited container's status waits for its output to reach the log, as containerd's: the CRI
 * plugin's handleContainerExit calls task.Delete, which waits for the container's IO (io.Wait: the
 * copy of stdout and stderr into the CRI log) before the container is marked exited. Without it a
 * status could say exited while the log relay (log-relay.ts) still writes the last lines, and
 * FallbackToLogsOnError would read a log without them.
 *
 * Not as containerd, which waits without a bound: at most `timeoutMs` per container, counted from
 * the first status that found it exited (a process that left the output pipes open must not stall
 * every relist); later statuses do not wait again once that is spent.
 */
import type { LogRelay } from './log-relay.ts';

export const LOG_DRAIN_TIMEOUT_MS = 2_000;

export class LogDrain {
  readonly #timeoutMs: number;
  readonly #now: () => number;
  /** Per container id: when its wait ends (dropped when its relay is done, or by forget). */
  readonly #deadlines = new Map<string, number>();

  constructor(timeoutMs = LOG_DRAIN_TIMEOUT_MS, now: () => number = Date.now) {
    this.#timeoutMs = timeoutMs;
    this.#now = now;
  }

  /** Waits until the exited container's relay is done, or its time is spent. No relay: nothing to wait for. */
  async wait(id: string, relay: Promise<LogRelay> | undefined): Promise<void> {
    if (!relay) {
      this.#deadlines.delete(id);
      return;
    }
    let deadline = this.#deadlines.get(id);
    if (deadline === undefined) this.#deadlines.set(id, (deadline = this.#now() + this.#timeoutMs));
    const left = deadline - this.#now();
    if (left <= 0) return;
    const r = await relay.catch(() => undefined);
    if (!r) return;
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      r.done.then(() => true, () => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), left))),
    ]);
    clearTimeout(timer);
    if (drained) this.#deadlines.delete(id);
  }

  forget(id: string): void {
    this.#deadlines.delete(id);
  }
}
