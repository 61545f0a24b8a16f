/**
 * One watcher's delivery queue, shared by the SQLite store and the watch cache.
 *
 * Producers push events synchronously (from the commit path, so order and completeness are
 * decided there); delivery happens later in a microtask, so a slow or throwing handler never
 * runs inside a commit. Values travel either as JSON text, parsed per watcher (the SQLite store's
 * replays from its log), or as deep-frozen objects shared by every watcher (the watch cache, and
 * the SQLite store's live commits, parsed once at commit): in both cases no consumer can change
 * what another sees.
 *
 * A consumer that cannot keep up pauses the watcher. What is queued before the pause is
 * delivered in full after resume(), as upstream delivers its initial events; what arrives while
 * paused is the backlog, bounded in events and bytes. Past the bound the queue is dropped and the
 * watch fails with 'TooSlow': without that, every stalled client would hold every later event in
 * memory for as long as it stalls.
 *
 * A replay from a log (the SQLite store) is pulled page by page instead (replayFrom): the next
 * page is asked for only once the previous one is delivered and the consumer is not paused, so
 * a replay of any length never holds more than one page, at most `bound` events and bytes.
 */
import { StorageError } from './types.ts';
import type { Watcher, WatchBacklog, WatchEvent, WatchEventType, WatchHandlers } from './types.ts';

/** A committed change with its values as JSON text or as deep-frozen objects. */
export interface EncodedEvent {
  type: WatchEventType;
  key: string;
  revision: number;
  createRevision: number;
  value: string | object;
  prevValue?: string | object;
  /**
   * Length of `value`'s JSON text when `value` is a frozen object parsed from it (the SQLite
   * store's live events): the byte accounting needs no second serialisation.
   */
  size?: number;
  /** The same for `prevValue`, when known (the watch cache keeps each object's). */
  prevSize?: number;
}

function decodeValue<T>(v: string | object): T {
  return (typeof v === 'string' ? JSON.parse(v) : v) as T;
}

/**
 * A previous value still as text (the SQLite store's live MODIFIED events carry the row it
 * replaced) is parsed when a consumer reads it, once: the watch cache, the one live watcher of
 * the store, keeps its own previous object and never does, and the parse was a JSON.parse of the
 * whole old object on every update. An own, enumerable property as before; assigning replaces it.
 */
function lazyPrevValue<T>(out: WatchEvent<T>, text: string): void {
  Object.defineProperty(out, 'prevValue', {
    configurable: true,
    enumerable: true,
    get(): T {
      const value = JSON.parse(text) as T;
      Object.defineProperty(out, 'prevValue', { value, writable: true, configurable: true, enumerable: true });
      return value;
    },
    set(value: T) {
      Object.defineProperty(out, 'prevValue', { value, writable: true, configurable: true, enumerable: true });
    },
  });
}

export function decodeEvent<T>(e: EncodedEvent): WatchEvent<T> {
  const out: WatchEvent<T> = {
    type: e.type,
    key: e.key,
    value: decodeValue<T>(e.value),
    revision: e.revision,
    createRevision: e.createRevision,
  };
  if (typeof e.prevValue === 'string') lazyPrevValue(out, e.prevValue);
  else if (e.prevValue !== undefined) out.prevValue = e.prevValue as T;
  if (e.size !== undefined) out.size = e.size;
  else if (typeof e.value === 'string') out.size = e.value.length;
  return out;
}

/**
 * Upstream's cacher gives a watcher two channels of up to 100 events (1,000 for indexed
 * watches) and then blocks the dispatch for a time budget before it gives up on a slow watcher;
 * here the events wait only while the client's socket is full, with nothing like that grace.
 * The in-process controllers and scheduler read on the server's own event loop, so a burst of
 * writes fills their sockets for a moment: 1,000 events keep them from being cut and relisting
 * (measured in the scale bench), while the bytes bound what any watcher can pin (an object is
 * at most ~1.5 MiB, and an event may carry two).
 */
export const DEFAULT_WATCH_BACKLOG: Readonly<WatchBacklog> = Object.freeze({ maxEvents: 1000, maxBytes: 8 * 1024 * 1024 });

/** JSON sizes of shared frozen values an event carried without them, computed once however many watchers queue them. */
const objectSizes = new WeakMap<object, number>();

function valueBytes(v: string | object): number {
  if (typeof v === 'string') return v.length;
  if (typeof v !== 'object' || v === null) return JSON.stringify(v ?? null).length;
  let n = objectSizes.get(v);
  if (n === undefined) {
    n = JSON.stringify(v).length;
    objectSizes.set(v, n);
  }
  return n;
}

/** Approximate memory an event pins: its value and, when distinct, its previous value. */
export function eventBytes(e: EncodedEvent): number {
  const prev = e.prevValue !== undefined && e.prevValue !== e.value ? (e.prevSize ?? valueBytes(e.prevValue)) : 0;
  return (e.size ?? valueBytes(e.value)) + prev;
}

/** `cost` is set on events that arrived while paused: they are the backlog. */
type Item = { event: EncodedEvent; cost?: number } | { error: Error } | { progress: number };

export class QueuedWatcher<T = unknown> implements Watcher {
  readonly prefix: string;
  /** Highest revision accepted so far; anything at or below it is a duplicate and dropped. */
  private last: number;
  private readonly handlers: WatchHandlers<T>;
  private readonly onClose: (w: QueuedWatcher<T>) => void;
  /** The backlog bound; a replay page is held to it too. */
  readonly bound: WatchBacklog;
  /** Items from `head` on are undelivered; delivered slots are cleared so they can be collected. */
  private queue: Array<Item | undefined> = [];
  private head = 0;
  private scheduled = false;
  private stopped = false;
  private failing = false;
  private paused = false;
  private backlogEvents = 0;
  private backlogBytes = 0;
  /** While a replay is pulled page by page: pushes the next page (see replayFrom). */
  private nextPage: (() => void) | undefined;
  private pageTimer: NodeJS.Immediate | undefined;
  /**
   * The producer's revision, when every matching event up to it is pushed the moment it moves
   * (the watch cache pushes in the same synchronous turn): see deliveredRevision().
   */
  private readonly sourceRevision: (() => number) | undefined;

  constructor(prefix: string, fromRevision: number, handlers: WatchHandlers<T>, onClose: (w: QueuedWatcher<T>) => void, sourceRevision?: () => number) {
    this.prefix = prefix;
    this.last = fromRevision;
    this.handlers = handlers;
    this.onClose = onClose;
    this.sourceRevision = sourceRevision;
    this.bound = handlers.backlog ?? DEFAULT_WATCH_BACKLOG;
  }

  get closed(): boolean {
    return this.stopped;
  }

  /** Events and bytes that arrived while paused and are not delivered yet. */
  get backlog(): { events: number; bytes: number } {
    return { events: this.backlogEvents, bytes: this.backlogBytes };
  }

  /** Events queued and not yet delivered (replay and backlog alike). */
  get queued(): number {
    return this.queue.length - this.head;
  }

  /** True while a replay is being pulled page by page. */
  get replaying(): boolean {
    return this.nextPage !== undefined;
  }

  /**
   * For a BOOKMARK: the highest revision up to which every matching event has been handed to
   * onEvent. Nothing may be queued, replayed or failing (a client resuming from the answer would
   * skip what is still waiting); then it is the producer's revision when it has one (events
   * elsewhere moved it with nothing for us), else the last revision accepted.
   */
  deliveredRevision(): number | undefined {
    if (this.stopped || this.failing || this.replaying || this.queued > 0) return undefined;
    return Math.max(this.last, this.sourceRevision?.() ?? this.last);
  }

  /**
   * Pull a replay page by page: `next` pushes the next page (or calls endReplay() once the replay
   * is complete) and is called on a later turn of the event loop, only when every queued event is
   * delivered and the consumer is not paused. The turn between pages lets sockets drain and
   * other requests run.
   */
  replayFrom(next: () => void): void {
    this.nextPage = next;
    this.askForPage();
  }

  /** The replay is complete (or abandoned): no more pages are asked for. */
  endReplay(): void {
    this.nextPage = undefined;
    if (this.pageTimer) clearImmediate(this.pageTimer);
    this.pageTimer = undefined;
  }

  private askForPage(): void {
    if (!this.nextPage || this.pageTimer || this.paused || this.stopped || this.failing || this.queued > 0) return;
    this.pageTimer = setImmediate(() => {
      this.pageTimer = undefined;
      // Paused, failed or refilled meanwhile: resume() or the next drain asks again.
      if (this.paused || this.stopped || this.failing || this.queued > 0) return;
      this.nextPage?.();
    });
  }

  matches(key: string): boolean {
    return key.startsWith(this.prefix);
  }

  /** Queue an event; callers push in revision order, matching keys only. */
  push(event: EncodedEvent): void {
    if (this.stopped || this.failing || event.revision <= this.last) return;
    this.last = event.revision;
    if (!this.paused) {
      this.queue.push({ event });
      this.schedule();
      return;
    }
    const cost = eventBytes(event);
    this.backlogEvents++;
    this.backlogBytes += cost;
    if (this.backlogEvents > this.bound.maxEvents || this.backlogBytes > this.bound.maxBytes) {
      this.overflow();
      return;
    }
    this.queue.push({ event, cost });
  }

  /**
   * Every event up to `revision` has been pushed (etcd's progress notification): handlers with
   * onProgress hear of it after those events. Later events at or below it are duplicates.
   */
  progress(revision: number): void {
    if (this.stopped || this.failing || revision <= this.last) return;
    this.last = revision;
    if (!this.handlers.onProgress) return;
    this.queue.push({ progress: revision });
    if (!this.paused) this.schedule();
  }

  /** End the watch with an error after the events already queued have been delivered. */
  fail(error: Error): void {
    if (this.stopped || this.failing) return;
    this.failing = true;
    this.queue.push({ error });
    this.schedule();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.head < this.queue.length) this.schedule();
    else this.askForPage();
  }

  close(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.endReplay();
    this.clear();
    this.onClose(this);
  }

  private clear(): void {
    this.queue = [];
    this.head = 0;
    this.backlogEvents = 0;
    this.backlogBytes = 0;
  }

  /**
   * Too far behind: let go of the queue now (that is the point) and tell the consumer, outside
   * the producer's commit path and whether or not it is paused.
   */
  private overflow(): void {
    const { maxEvents, maxBytes } = this.bound;
    this.failing = true;
    this.clear();
    this.queue.push({ error: new StorageError('TooSlow', `watcher fell more than ${maxEvents} events or ${maxBytes} bytes behind`) });
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.drain());
  }

  private drain(): void {
    this.scheduled = false;
    // Items pushed by a handler (via a synchronous producer) join this same loop, in order; a
    // handler that pauses stops it after its own event.
    while (this.head < this.queue.length && !this.stopped) {
      const item = this.queue[this.head] as Item;
      // An overflow's error has nothing queued before it and must reach a paused consumer too.
      if (this.paused && !('error' in item)) break;
      this.queue[this.head++] = undefined;
      if ('error' in item) {
        this.close();
        this.handlers.onError?.(item.error);
        return;
      }
      if ('progress' in item) {
        this.handlers.onProgress?.(item.progress);
        continue;
      }
      if (item.cost !== undefined) {
        this.backlogEvents--;
        this.backlogBytes -= item.cost;
      }
      if (this.handlers.passOver?.(item.event.key)) {
        this.handlers.onProgress?.(item.event.revision);
        continue;
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
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
      this.askForPage();
    } else if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      // Paused part way through a long replay: drop the delivered prefix.
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
