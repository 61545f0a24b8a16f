/**
 * The scheduler's Events, written in the background as client-go's event broadcaster does
 * (tools/events, as tools/record: a queue of at most 1,000 events, dropped when full, DropIfChannelFull): a
 * scheduling or binding cycle never waits for its event, and a burst of thousands of binds
 * cannot grow the queue without bound or take the connections the binds need.
 */
import type { K8sObject } from '../client/types.ts';

export const MAX_QUEUED_EVENTS = 1000;

export interface EventSinkOptions {
  write(event: K8sObject): Promise<void>;
  /** Writes in flight at most (default 8). */
  concurrency?: number;
  maxQueued?: number;
  log: { warn(obj: unknown, msg?: string): void };
}

export class EventSink {
  readonly #o: Required<Omit<EventSinkOptions, 'log'>> & Pick<EventSinkOptions, 'log'>;
  readonly #queue: K8sObject[] = [];
  #writing = 0;
  #dropped = 0;
  #idle: Array<() => void> = [];

  constructor(o: EventSinkOptions) {
    this.#o = { concurrency: 8, maxQueued: MAX_QUEUED_EVENTS, ...o };
  }

  /** Events queued or being written. */
  get pending(): number {
    return this.#queue.length + this.#writing;
  }

  /** Events dropped because the queue was full. */
  get dropped(): number {
    return this.#dropped;
  }

  record(event: K8sObject): void {
    if (this.#queue.length >= this.#o.maxQueued) {
      // Logged on the first drop and every 1,000th after, not per event.
      if (this.#dropped++ % 1000 === 0) this.#o.log.warn({ dropped: this.#dropped, reason: event.reason }, 'event queue full: dropping events');
      return;
    }
    this.#queue.push(event);
    if (this.#writing < this.#o.concurrency) void this.#drain();
  }

  /** Resolves once nothing is queued or being written. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  async #drain(): Promise<void> {
    this.#writing++;
    try {
      for (let ev = this.#queue.shift(); ev; ev = this.#queue.shift()) {
        await this.#o.write(ev).catch((err: unknown) => this.#o.log.warn({ err, reason: ev!.reason, object: ev!.regarding ?? ev!.involvedObject }, 'recording event failed'));
      }
    } finally {
      this.#writing--;
    }
    if (this.pending === 0) for (const f of this.#idle.splice(0)) f();
  }
}
