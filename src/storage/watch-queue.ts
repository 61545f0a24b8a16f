/**
 * One watcher's delivery queue, shared by the SQLite store and the watch cache.
 *
 * Producers push events synchronously (from the commit path, so order and completeness are
 * decided there); delivery happens later in a microtask, so a slow or throwing handler never
 * runs inside a commit. Values travel either as JSON text, parsed per watcher (the SQLite store),
 * or as deep-frozen objects shared by every watcher (the watch cache): in both cases no consumer
 * can change what another sees.
 */
import type { Watcher, WatchEvent, WatchEventType, WatchHandlers } from './types.ts';

/** A committed change with its values as JSON text or as deep-frozen objects. */
export interface EncodedEvent {
  type: WatchEventType;
  key: string;
  revision: number;
  createRevision: number;
  value: string | object;
  prevValue?: string | object;
}

function decodeValue<T>(v: string | object): T {
  return (typeof v === 'string' ? JSON.parse(v) : v) as T;
}

export function decodeEvent<T>(e: EncodedEvent): WatchEvent<T> {
  const out: WatchEvent<T> = {
    type: e.type,
    key: e.key,
    value: decodeValue<T>(e.value),
    revision: e.revision,
    createRevision: e.createRevision,
  };
  if (e.prevValue !== undefined) out.prevValue = decodeValue<T>(e.prevValue);
  return out;
}

type Item = { event: EncodedEvent } | { error: Error };

export class QueuedWatcher<T = unknown> implements Watcher {
  readonly prefix: string;
  /** Highest revision accepted so far; anything at or below it is a duplicate and dropped. */
  private last: number;
  private readonly handlers: WatchHandlers<T>;
  private readonly onClose: (w: QueuedWatcher<T>) => void;
  private queue: Item[] = [];
  private scheduled = false;
  private stopped = false;
  private failing = false;

  constructor(prefix: string, fromRevision: number, handlers: WatchHandlers<T>, onClose: (w: QueuedWatcher<T>) => void) {
    this.prefix = prefix;
    this.last = fromRevision;
    this.handlers = handlers;
    this.onClose = onClose;
  }

  get closed(): boolean {
    return this.stopped;
  }

  matches(key: string): boolean {
    return key.startsWith(this.prefix);
  }

  /** Queue an event; callers push in revision order, matching keys only. */
  push(event: EncodedEvent): void {
    if (this.stopped || this.failing || event.revision <= this.last) return;
    this.last = event.revision;
    this.queue.push({ event });
    this.schedule();
  }

  /** End the watch with an error after the events already queued have been delivered. */
  fail(error: Error): void {
    if (this.stopped || this.failing) return;
    this.failing = true;
    this.queue.push({ error });
    this.schedule();
  }

  close(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.queue = [];
    this.onClose(this);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.drain());
  }

  private drain(): void {
    this.scheduled = false;
    // Items pushed by a handler (via a synchronous producer) join this same loop, in order.
    for (let i = 0; i < this.queue.length && !this.stopped; i++) {
      const item = this.queue[i];
      if ('error' in item) {
        this.close();
        this.handlers.onError?.(item.error);
        return;
      }
      try {
        this.handlers.onEvent(decodeEvent<T>(item.event));
      } catch (err) {
        // A handler that throws cannot have seen the event; continuing would leave a gap.
        this.close();
        this.handlers.onError?.(err instanceof Error ? err : new Error(String(err)));
        return;
      }
    }
    this.queue = [];
  }
}
