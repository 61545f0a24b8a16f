/**
 * One Store watch on etcd: a gRPC Watch stream on the mapped key range from the next revision,
 * with previous values (for MODIFIED's prevValue and DELETED's value) and progress
 * notifications (idle streams still move the store's tracked revision).
 *
 * etcd sends events in revision order with none missing, so order and completeness come from
 * etcd; delivery, pause/resume and the backlog bound come from the same QueuedWatcher the SQLite
 * store uses. When the stream breaks (the member died, the connection reset) the watch opens a
 * new one from the revision after the last event it
 * accepted: nothing is skipped and nothing repeats (QueuedWatcher drops a revision it has seen).
 * With one client per member the new stream goes to the next member in turn, so a watch whose
 * member died moves to a live one at once instead of waiting for the client pool to notice.
 * A start revision etcd has compacted ends the watch with 'Compacted', as etcd ends it, and the
 * client relists.
 *
 * Every store write is one etcd transaction on one key, so a revision carries one event; a
 * foreign writer putting several keys of the range in one transaction would have all but the
 * first of that revision dropped by the queue's duplicate check.
 */
import { EVENT_DELETE, int } from './etcd-proto.ts';
import type { Event, KeyValue, WatchResponse } from './etcd-proto.ts';
import type { EtcdKv, WatchStream } from './etcd-kv-client.ts';
import { QueuedWatcher } from '../watch-queue.ts';
import type { EncodedEvent } from '../watch-queue.ts';
import { StorageError } from '../types.ts';
import type { Watcher, WatchHandlers } from '../types.ts';
import type { KeyMapper } from './key-mapper.ts';

export interface EtcdWatchDeps {
  /** Where streams are opened: one client per member, tried in turn from `first`, or one pool. */
  clients: EtcdKv[];
  first: number;
  mapper: KeyMapper;
  /** The parsed value of a write this process made (written-values.ts), so the event needs no parse. */
  written(storeKey: string, kv: KeyValue): object | undefined;
  /** A revision etcd reported (response headers, progress notifications). */
  observe(revision: number): void;
  /** etcd said the watch's start was compacted, at this revision. */
  observeCompacted(revision: number): void;
  /** Delay before re-opening a broken stream, by attempt (0-based). */
  retryDelayMs(attempt: number): number;
  onClose(w: EtcdWatch): void;
}

type Stream = WatchStream;


export class EtcdWatch implements Watcher {
  private readonly queue: QueuedWatcher<unknown>;
  private readonly deps: EtcdWatchDeps;
  private readonly storePrefix: string;
  /** The last revision accepted: a new stream starts after it. */
  private last: number;
  private stream: Stream | undefined;
  /** Set when the watched range is wider than the prefix (a group in etcd's layout): events kept by store key. */
  private filter: ((storeKey: string) => boolean) | undefined;
  private attempt = 0;
  /** Index into deps.clients of the member the next stream is opened on. */
  private member: number;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(prefix: string, fromRevision: number, handlers: WatchHandlers<unknown>, deps: EtcdWatchDeps) {
    this.storePrefix = prefix;
    this.last = fromRevision;
    this.deps = deps;
    this.member = deps.first;
    this.queue = new QueuedWatcher<unknown>(prefix, fromRevision, handlers, () => this.stop());
    this.connect();
  }

  pause(): void {
    this.queue.pause();
  }

  resume(): void {
    this.queue.resume();
  }

  close(): void {
    this.queue.close();
  }

  /** Ask etcd for a progress notification on this watch's stream (etcd 3.4's RequestProgress). */
  requestProgress(): void {
    this.stream?.write({ progress_request: {} });
  }

  /** End the watch with `err` after what is queued (store close). */
  fail(err: Error): void {
    this.queue.fail(err);
    this.stop();
  }

  private stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.dropStream();
    this.deps.onClose(this);
  }

  private dropStream(): void {
    const s = this.stream;
    this.stream = undefined;
    s?.cancel();
  }

  private connect(): void {
    const range = this.deps.mapper.range(this.storePrefix);
    if (!range) return; // no key of the store can match: nothing will ever arrive
    this.filter = range.filter;
    const clients = this.deps.clients;
    let stream: Stream;
    try {
      stream = clients[this.member % clients.length].watch();
    } catch {
      return; // the client is closed: so is the store, which ends this watch
    }
    this.stream = stream;
    // A broken stream reports its error here; only the live one reconnects.
    stream.on('error', () => this.broken(stream));
    stream.on('end', () => this.broken(stream));
    stream.on('data', (res: WatchResponse) => this.onResponse(stream, res));
    stream.write({
      create_request: { key: range.key, range_end: range.rangeEnd, start_revision: this.last + 1, progress_notify: true, prev_kv: true },
    });
  }

  private broken(stream: Stream): void {
    if (this.stopped || stream !== this.stream) return;
    this.dropStream();
    this.member++;
    const delay = this.deps.retryDelayMs(this.attempt++);
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (!this.stopped) this.connect();
    }, delay);
  }

  private onResponse(stream: Stream, res: WatchResponse): void {
    if (stream !== this.stream) return;
    this.attempt = 0;
    const compacted = int(res.compact_revision);
    if (compacted > 0) {
      this.deps.observeCompacted(compacted);
      this.fail(new StorageError('Compacted', `watch from revision ${this.last}: required revision has been compacted`, { revision: compacted }));
      return;
    }
    if (res.canceled) {
      this.fail(new StorageError('Internal', `etcd cancelled the watch: ${res.cancel_reason || 'no reason given'}`));
      return;
    }
    // A response with no events that does not answer the create is a progress notification:
    // every event of the range up to its revision has been sent on this stream.
    if ((res.events ?? []).length === 0 && !res.created && res.header) {
      const rev = int(res.header.revision);
      this.queue.progress(rev);
      // A stream opened again starts after it: nothing up to it is missing.
      this.last = Math.max(this.last, rev);
    }
    for (const e of res.events ?? []) {
      const key = this.deps.mapper.fromEtcd(e.kv.key);
      this.last = Math.max(this.last, int(e.kv.mod_revision));
      // Not the store's key (another layout's), or outside a group's prefix read through a wider range.
      if (key === undefined || (this.filter && !this.filter(key))) continue;
      const event = this.toEvent(key, e);
      if (!event) {
        this.fail(new StorageError('Internal', `etcd sent a delete of ${e.kv.key.toString('utf8')} without its previous value`));
        return;
      }
      this.queue.push(event);
    }
    if (res.header) this.deps.observe(int(res.header.revision));
  }

  private toEvent(key: string, e: Event): EncodedEvent | undefined {
    const revision = int(e.kv.mod_revision);
    if (e.type === EVENT_DELETE) {
      if (!e.prev_kv) return undefined;
      const prev = this.value(key, e.prev_kv);
      const deleted: EncodedEvent = { type: 'DELETED', key, revision, createRevision: int(e.prev_kv.create_revision), value: prev, prevValue: prev };
      if (typeof prev !== 'string') deleted.size = e.prev_kv.value.length;
      return deleted;
    }
    const value = this.value(key, e.kv);
    const out: EncodedEvent = {
      type: int(e.kv.version) === 1 ? 'ADDED' : 'MODIFIED',
      key,
      revision,
      createRevision: int(e.kv.create_revision),
      value,
    };
    // A shared object's size is its bytes' (the text parsed per watcher is measured as it goes).
    if (typeof value !== 'string') out.size = e.kv.value.length;
    if (out.type === 'MODIFIED' && e.prev_kv) out.prevValue = this.value(key, e.prev_kv);
    return out;
  }

  /** A value as the event carries it: the object this process wrote, or the stored text. */
  private value(key: string, kv: KeyValue): string | object {
    return this.deps.written(key, kv) ?? kv.value.toString('utf8');
  }
}
