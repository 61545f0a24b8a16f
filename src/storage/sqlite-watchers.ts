/**
 * The SQLite store's watchers: live ones get each commit's events as it is published; one that
 * starts from an old revision first replays the log one page at a time (at most its backlog bound
 * in events and bytes), reading the next page only when the previous one is delivered and the
 * consumer is not paused; live events are not pushed to it meanwhile, and the page that reaches
 * the published revision registers it for live events in the same turn, which is what makes the
 * hand-over from catch-up to live events gap-free (better-sqlite3 is synchronous, so each page
 * runs to completion without interleaving).
 */
import { prefixEnd } from './key-range.ts';
import { NO_END, toEvent } from './sqlite-schema.ts';
import type { End, Statements } from './sqlite-schema.ts';
import { eventBytes, QueuedWatcher } from './watch-queue.ts';
import type { EncodedEvent } from './watch-queue.ts';
import { StorageError } from './types.ts';
import type { Watcher, WatchHandlers } from './types.ts';
import { toStorageError } from './sqlite-errors.ts';

export function rangeEnd(prefix: string): End {
  return prefixEnd(prefix) ?? NO_END;
}

/** What a replay reads: the log, and where the store stands. */
export interface ReplaySource {
  stmts: Statements;
  published(): number;
  compacted(): number;
  closed(): boolean;
}

export class SqliteWatchers {
  private readonly live = new Set<QueuedWatcher<unknown>>();
  /** Watchers still replaying the log: they read pages themselves and get no live events yet. */
  private readonly replaying = new Set<QueuedWatcher<unknown>>();
  private readonly source: ReplaySource;

  constructor(source: ReplaySource) {
    this.source = source;
  }

  /** A watch of `prefix` after `fromRevision` (not compacted: the caller checked). */
  watch<T>(prefix: string, fromRevision: number, handlers: WatchHandlers<T>): Watcher {
    const watcher = new QueuedWatcher<unknown>(prefix, fromRevision, handlers as WatchHandlers<unknown>, (w) => {
      this.live.delete(w);
      this.replaying.delete(w);
    });
    if (fromRevision >= this.source.published()) {
      this.live.add(watcher);
      return watcher;
    }
    // The first page is read now, so a failing read is the caller's error, thrown synchronously.
    this.replaying.add(watcher);
    try {
      this.replayPage(watcher, fromRevision);
    } catch (err) {
      this.replaying.delete(watcher);
      throw toStorageError(err, `watching ${prefix}`);
    }
    return watcher;
  }

  /** A published commit's events, to every live watcher whose prefix they match. */
  publish(events: EncodedEvent[]): void {
    for (const watcher of this.live) {
      for (const e of events) if (watcher.matches(e.key)) watcher.push(e);
    }
  }

  /** Ends every watch with `err` (the store is closing). */
  failAll(err: StorageError): void {
    for (const w of [...this.live, ...this.replaying]) w.fail(err);
    this.live.clear();
    this.replaying.clear();
  }

  /**
   * Push the next page of a replay: log rows after `after` up to the published revision (later
   * commits arrive when they are published), at most the watcher's bound in events and bytes. A
   * page that reaches the published revision ends the replay and registers the watcher for live
   * events in this same synchronous turn, so no publication can slip between; a full page asks
   * for the next one once it is delivered.
   */
  private replayPage(w: QueuedWatcher<unknown>, after: number): void {
    const { maxEvents, maxBytes } = w.bound;
    let last = after;
    let events = 0;
    let bytes = 0;
    let full = false;
    // iterate(), not all(): rows past the page are never read; leaving the loop resets the statement.
    for (const row of this.source.stmts.eventsAfter.iterate(after, this.source.published(), w.prefix, rangeEnd(w.prefix))) {
      const e = toEvent(row);
      w.push(e);
      last = e.revision;
      bytes += eventBytes(e);
      if (++events >= maxEvents || bytes >= maxBytes) {
        full = true;
        break;
      }
    }
    if (!full) {
      this.replaying.delete(w);
      w.endReplay();
      this.live.add(w);
      return;
    }
    w.replayFrom(() => this.nextReplayPage(w, last));
  }

  private nextReplayPage(w: QueuedWatcher<unknown>, after: number): void {
    if (this.source.closed() || w.closed) return;
    // Compaction may have removed rows this replay has not read yet: a gap is never delivered;
    // the watch ends as etcd ends a watcher it compacted past, and the client relists.
    const compacted = this.source.compacted();
    const failure =
      after < compacted
        ? new StorageError('Compacted', `revision ${after} has been compacted`, { revision: compacted })
        : this.tryReplayPage(w, after);
    if (!failure) return;
    this.replaying.delete(w);
    w.endReplay();
    w.fail(failure);
  }

  private tryReplayPage(w: QueuedWatcher<unknown>, after: number): StorageError | undefined {
    try {
      this.replayPage(w, after);
      return undefined;
    } catch (err) {
      return toStorageError(err, `watching ${w.prefix}`);
    }
  }
}
