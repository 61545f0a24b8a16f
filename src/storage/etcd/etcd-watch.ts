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
import type { IDuplexStream, IEvent, IKeyValue, IWatchRequest, IWatchResponse, WatchClient } from 'etcd3';
import { QueuedWatcher } from '../watch-queue.ts';
import type { EncodedEvent } from '../watch-queue.ts';
import { StorageError } from '../types.ts';
import type { Watcher, WatchHandlers } from '../types.ts';
import type { KeyMapper } from './key-mapper.ts';

export interface EtcdWatchDeps {
  /** Where streams are opened: one client per member, tried in turn from `first`, or one pool. */
  clients: WatchClient[];
  first: number;
  mapper: KeyMapper;
  /** A revision etcd reported (response headers, progress notifications). */
  observe(revision: number): void;
  /** etcd said the watch's start was compacted, at this revision. */
  observeCompacted(revision: number): void;
  /** Delay before re-opening a broken stream, by attempt (0-based). */
  retryDelayMs(attempt: number): number;
  onClose(w: EtcdWatch): void;
}

type Stream = IDuplexStream<IWatchRequest, IWatchResponse>;

function text(kv: IKeyValue): string {
  return kv.value.toString('utf8');
}

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
    clients[this.member % clients.length].watch().then(
      (stream) => {
        if (this.stopped) {
          stream.cancel();
          return;
        }
        this.stream = stream;
        // A cancelled or broken stream reports its error here; only a live one reconnects.
        stream.on('error', () => this.broken(stream));
        stream.on('end', () => this.broken(stream));
        stream.on('data', (res: IWatchResponse) => this.onResponse(stream, res));
        stream.write({
          create_request: { key: range.key, range_end: range.rangeEnd, start_revision: this.last + 1, progress_notify: true, prev_kv: true },
        });
      },
      () => this.broken(undefined),
    );
  }

  private broken(stream: Stream | undefined): void {
    if (this.stopped || stream !== this.stream) return;
    this.dropStream();
    this.member++;
    const delay = this.deps.retryDelayMs(this.attempt++);
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (!this.stopped) this.connect();
    }, delay);
  }

  private onResponse(stream: Stream, res: IWatchResponse): void {
    if (stream !== this.stream) return;
    this.attempt = 0;
    const compacted = Number(res.compact_revision ?? 0);
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
      const rev = Number(res.header.revision);
      this.queue.progress(rev);
      // A stream opened again starts after it: nothing up to it is missing.
      this.last = Math.max(this.last, rev);
    }
    for (const e of res.events ?? []) {
      const key = this.deps.mapper.fromEtcd(e.kv.key);
      this.last = Math.max(this.last, Number(e.kv.mod_revision));
      // Not the store's key (another layout's), or outside a group's prefix read through a wider range.
      if (key === undefined || (this.filter && !this.filter(key))) continue;
      const event = this.toEvent(key, e);
      if (!event) {
        this.fail(new StorageError('Internal', `etcd sent a delete of ${e.kv.key.toString('utf8')} without its previous value`));
        return;
      }
      this.queue.push(event);
    }
    if (res.header) this.deps.observe(Number(res.header.revision));
  }

  private toEvent(key: string, e: IEvent): EncodedEvent | undefined {
    const revision = Number(e.kv.mod_revision);
    if (e.type === 'Delete') {
      if (!e.prev_kv) return undefined;
      const prev = text(e.prev_kv);
      return { type: 'DELETED', key, revision, createRevision: Number(e.prev_kv.create_revision), value: prev, prevValue: prev };
    }
    const out: EncodedEvent = {
      type: e.kv.version === '1' ? 'ADDED' : 'MODIFIED',
      key,
      revision,
      createRevision: Number(e.kv.create_revision),
      value: text(e.kv),
    };
    if (out.type === 'MODIFIED' && e.prev_kv) out.prevValue = text(e.prev_kv);
    return out;
  }
}
