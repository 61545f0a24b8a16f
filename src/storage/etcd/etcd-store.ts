/**
 * The Store on etcd v3 (issue 18): what kube-apiserver's etcd3 storage does, through etcd's KV
 * and Watch services (etcd-kv-client.ts, gRPC over its own HTTP/2 connection).
 *
 * - Keys: the store's root replaced by --etcd-prefix, the rest in kube-apiserver's layout
 *   (key-mapper.ts, etcd-layout.ts: /registry/pods/<ns>/<name>); values: the JSON text.
 * - Revisions are etcd's: an object's modRevision is its key's mod_revision, its createRevision
 *   the key's create_revision. Every store write is one Txn on one key, so it advances etcd's
 *   revision by exactly one and a failed precondition advances nothing.
 * - create: Txn if create_revision(key) == 0 then put; update/delete: Txn if
 *   mod_revision(key) == expected (and the key exists) — the failure branch reads the key so the
 *   error says NotFound, KeyExists or Conflict with the revision it is at.
 * - list: Range at a revision (the first page's revision for every page, kept in the continue
 *   token), with a limit; etcd's count gives remainingItemCount.
 * - watch: etcd-watch.ts. compact: etcd's Compact.
 *
 * currentRevision() and compactedRevision() are synchronous in the Store contract, and etcd's
 * revision moves when anyone writes, so this store keeps a local view: the highest revision
 * seen in any response header (reads, writes, watch events and progress notifications) and the
 * highest compaction it made or was told of. What that gives: it never goes back, it is at least
 * every revision this process wrote or read (read-your-writes for the callers of this store), and
 * it lags writes by other API servers only until an event or a progress notification of an open
 * watch reaches it (the watch cache keeps one on the whole registry). Reads never use it to
 * decide: a list at a revision beyond it goes to etcd, which answers for the cluster. The
 * compacted revision is learned at open (compacted-revision.ts) and from every Compacted answer.
 */
import { handleWhen, retry } from 'cockatiel';
import { decodeContinue } from '../continue-token.ts';
import { deepFreeze } from '../deep-freeze.ts';
import { frozenJsonCopy } from '../frozen-json-copy.ts';
import { isValidKey } from '../key-range.ts';
import { decodeStored } from '../sqlite-errors.ts';
import { StorageError } from '../types.ts';
import type { ListOptions, ListResult, Store, StoredObject, Watcher, WatchHandlers, WriteOptions } from '../types.ts';
import { ttlOf } from '../write-ttl.ts';
import { LeaseManager } from './lease-manager.ts';
import { LeaseBackfill } from './lease-backfill.ts';
import type { UnexpiringKeys } from '../unexpiring-keys.ts';
import type { LeaseManagerOptions } from './lease-manager.ts';
import { findCompactedRevision } from './compacted-revision.ts';
import { toStorageError } from './errors.ts';
import { int } from './etcd-proto.ts';
import type { Int64, KeyValue, RangeRequest, RangeResponse, ResponseHeader } from './etcd-proto.ts';
import { isUnavailable, type EtcdKv } from './etcd-kv-client.ts';
import { EtcdWatch } from './etcd-watch.ts';
import { API_SERVER_ROOT, bytesPrefixEnd, KeyMapper } from './key-mapper.ts';
import { listRange } from './list-range.ts';
import { WrittenValues } from './written-values.ts';
import { absent, atRevision, encodeValue, preconditionFailed } from './txn.ts';

export interface EtcdStoreOptions {
  client: EtcdKv;
  /** The root every store key starts with (default '/registry'); '' takes any key. */
  root?: string;
  /** --etcd-prefix: where the root lives in etcd (default '/registry', upstream's). */
  prefix?: string;
  /**
   * Clients for watch streams, one per member (createMemberClients): a stream that breaks is
   * opened again on the next member. Default: the client above, whose pool picks a member.
   */
  watchClients?: EtcdKv[];
  /** Close the clients with the store (default true). */
  ownsClient?: boolean;
  /** Delay before a broken watch stream is re-opened (default 100 ms doubling to 2 s). */
  watchRetryDelayMs?: (attempt: number) => number;
  /** How leases for keys written with a TTL are reused (lease-manager.ts; upstream's defaults). */
  leases?: LeaseManagerOptions;
}

function closedError(): StorageError {
  return new StorageError('Closed', 'storage is closed');
}

/** Reads are safe to repeat: one more try, on another member when the pool has one. */
const readRetry = retry(handleWhen(isUnavailable), { maxAttempts: 2 });

function defaultRetryDelay(attempt: number): number {
  return Math.min(2000, 100 * 2 ** Math.min(attempt, 5));
}

export async function openEtcdStore(opts: EtcdStoreOptions): Promise<Store> {
  const store = new EtcdStore(opts);
  try {
    await store.start();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

class EtcdStore implements Store {
  private readonly client: EtcdKv;
  private readonly mapper: KeyMapper;
  private readonly ownsClient: boolean;
  private readonly watchClients: EtcdKv[];
  /** Watches start on the members in turn. */
  private nextWatchMember = 0;
  private readonly retryDelay: (attempt: number) => number;
  private revision = 0;
  private compacted = 0;
  private closed = false;
  private readonly watches = new Set<EtcdWatch>();
  /** This store's writes, parsed once: their watch events and reads share the object. */
  private readonly written = new WrittenValues();
  private readonly leases: LeaseManager;

  constructor(opts: EtcdStoreOptions) {
    this.client = opts.client;
    this.mapper = new KeyMapper(opts.root ?? '/registry', opts.prefix ?? '/registry');
    this.ownsClient = opts.ownsClient ?? true;
    this.watchClients = opts.watchClients?.length ? opts.watchClients : [opts.client];
    this.retryDelay = opts.watchRetryDelayMs ?? defaultRetryDelay;
    const client = this.client;
    this.leases = new LeaseManager(
      {
        async grant(ttlSeconds) {
          const res = await client.leaseGrant({ TTL: ttlSeconds, ID: 0 });
          if (res.error) throw new StorageError('Internal', `etcd lease grant: ${res.error}`);
          return res.ID;
        },
      },
      opts.leases,
    );
  }

  /**
   * The lease a write with a TTL is put with (etcd deletes the key when it expires); 0 for none,
   * without an await: a write without a TTL (nearly all) goes straight to its Txn.
   */
  private leaseFor(key: string, opts: WriteOptions | undefined): 0 | Promise<Int64> {
    const ttl = ttlOf(key, opts);
    return ttl === 0 ? 0 : this.leases.getLease(ttl);
  }

  /** Learn the current and the compacted revision. */
  async start(): Promise<void> {
    await this.checkHealth();
    const key = Buffer.from(`${this.mapper.prefix}/health`);
    try {
      this.compacted = await findCompactedRevision(this.revision, (revision) => this.range({ key, revision, count_only: true }));
    } catch (err) {
      throw this.fail(err, 'reading the compacted revision');
    }
    await this.refuseEarlierLayout();
  }

  /**
   * Portcullis before kube-apiserver's layout kept objects at <prefix>/core/..., /apps/... (every
   * cluster has /core/namespaces/). Those keys map to nothing now: starting would show an empty
   * cluster over the old one, so the start is refused and says why.
   */
  private async refuseEarlierLayout(): Promise<void> {
    if (this.mapper.root !== API_SERVER_ROOT) return;
    const old = Buffer.from(`${this.mapper.prefix}/core/namespaces/`);
    const res = await this.range({ key: old, range_end: bytesPrefixEnd(old), count_only: true });
    if (int(res.count) > 0) {
      throw new StorageError('Internal', `etcd holds objects in the key layout of an earlier Portcullis (${old.toString()}...), not kube-apiserver's (${this.mapper.prefix}/namespaces/...): restore them into an empty etcd or --etcd-prefix through the API (kubectl get -o yaml, then apply)`);
    }
  }

  currentRevision(): number {
    return this.revision;
  }

  compactedRevision(): number {
    return this.compacted;
  }

  private observe(header: ResponseHeader | null | undefined): number {
    const rev = int(header?.revision);
    if (rev > this.revision) this.revision = rev;
    return rev;
  }

  private range(req: RangeRequest): Promise<RangeResponse> {
    return readRetry.execute(() => this.client.range(req));
  }

  private known() {
    return { current: this.revision, compacted: this.compacted };
  }

  private fail(err: unknown, what: string, opts: { key?: string; requested?: number } = {}): StorageError {
    if (this.closed) return closedError();
    const out = toStorageError(err, what, this.known(), opts);
    // etcd compacted past what we knew: the request's revision is a lower bound of it.
    if (out.code === 'Compacted' && opts.requested !== undefined && opts.requested > this.compacted) this.compacted = opts.requested + 1;
    return out;
  }

  /** The object of an etcd key-value; undefined when the key is not one of the store's. */
  private toObject<T>(kv: KeyValue): StoredObject<T> | undefined {
    const key = this.mapper.fromEtcd(kv.key);
    if (key === undefined) return undefined;
    const mine = this.written.get(key, kv.value) as T | undefined;
    return {
      key,
      value: mine ?? deepFreeze(decodeStored<T>(key, kv.value.toString('utf8'))),
      createRevision: int(kv.create_revision),
      modRevision: int(kv.mod_revision),
    };
  }

  private etcdKey(key: string): Buffer {
    if (!isValidKey(key)) throw new StorageError('Internal', `invalid key ${JSON.stringify(key)}`, { key });
    return this.mapper.toEtcd(key);
  }

  async get<T = unknown>(key: string): Promise<StoredObject<T> | undefined> {
    this.assertOpen();
    const k = this.etcdKey(key);
    try {
      const res = await this.range({ key: k });
      this.observe(res.header);
      return res.kvs.length > 0 ? this.toObject<T>(res.kvs[0]) : undefined;
    } catch (err) {
      throw this.fail(err, `reading ${key}`, { key });
    }
  }

  async list<T = unknown>(prefix: string, opts: ListOptions = {}): Promise<ListResult<T>> {
    this.assertOpen();
    let start = prefix;
    let revision = opts.atRevision;
    if (opts.continue) {
      const pos = decodeContinue(opts.continue, prefix);
      if (opts.atRevision !== undefined && opts.atRevision !== pos.revision) {
        throw new StorageError('InvalidContinue', 'continue token and atRevision disagree');
      }
      ({ start, revision } = pos);
    }
    if (revision !== undefined && revision < this.compacted) {
      throw new StorageError('Compacted', `revision ${revision} has been compacted`, { revision: this.compacted });
    }
    try {
      return await listRange<T>({
        read: (req) => this.range(req),
        range: this.mapper.range(prefix, start),
        prefix,
        revision,
        opts,
        observe: (h) => this.observe(h),
        toObject: (kv) => this.toObject<T>(kv),
      });
    } catch (err) {
      throw this.fail(err, `listing ${prefix}`, { requested: revision });
    }
  }

  async count(prefix: string): Promise<number> {
    this.assertOpen();
    const range = this.mapper.range(prefix);
    if (!range) return 0;
    try {
      if (range.filter) return await this.countFiltered(range.key, range.rangeEnd, range.filter);
      const res = await this.range({ key: range.key, range_end: range.rangeEnd, count_only: true });
      this.observe(res.header);
      return int(res.count);
    } catch (err) {
      throw this.fail(err, `counting ${prefix}`);
    }
  }

  /** Keys of a range spanning several resources that the filter accepts: read keys only, at one revision. */
  private async countFiltered(key: Buffer, rangeEnd: Buffer, filter: (k: string) => boolean): Promise<number> {
    let n = 0;
    let revision = 0;
    for (let from = key; ; ) {
      const res = await this.range({ key: from, range_end: rangeEnd, keys_only: true, limit: 1000, revision });
      revision = revision || this.observe(res.header);
      for (const kv of res.kvs) {
        const k = this.mapper.fromEtcd(kv.key);
        if (k !== undefined && filter(k)) n++;
      }
      if (!res.more || res.kvs.length === 0) return n;
      from = Buffer.concat([res.kvs[res.kvs.length - 1].key, Buffer.from([0])]);
    }
  }

  /**
   * The shared value a write hands back: what the stored bytes parse to, frozen as reads are (a
   * copy of the caller's plain data, as the SQLite store makes, several times cheaper than the
   * parse), and kept before the write is sent for its watch event (written-values.ts).
   */
  private stored<T>(key: string, value: T, bytes: Buffer): T {
    const shared = (frozenJsonCopy(value) ?? deepFreeze(JSON.parse(bytes.toString('utf8')))) as T;
    this.written.remember(key, bytes, shared);
    return shared;
  }

  async create<T = unknown>(key: string, value: T, opts?: WriteOptions): Promise<StoredObject<T>> {
    this.assertOpen();
    const k = this.etcdKey(key);
    const bytes = encodeValue(key, value);
    const stored = this.stored<T>(key, value, bytes);
    try {
      const pending = this.leaseFor(key, opts);
      const lease = pending === 0 ? 0 : await pending;
      const res = await this.client.txn({
        compare: absent(k),
        success: [{ request_put: lease === 0 ? { key: k, value: bytes } : { key: k, value: bytes, lease } }],
      });
      const rev = this.observe(res.header);
      if (!res.succeeded) throw new StorageError('KeyExists', `key ${JSON.stringify(key)} already exists`, { key });
      return { key, value: stored, createRevision: rev, modRevision: rev };
    } catch (err) {
      throw this.fail(err, `creating ${key}`, { key });
    }
  }

  async update<T = unknown>(key: string, value: T, expectedRevision: number, opts?: WriteOptions): Promise<StoredObject<T>> {
    this.assertOpen();
    const k = this.etcdKey(key);
    const bytes = encodeValue(key, value);
    const stored = this.stored<T>(key, value, bytes);
    try {
      // A put without a lease detaches the key from any it had: an update without a TTL clears it.
      const pending = this.leaseFor(key, opts);
      const lease = pending === 0 ? 0 : await pending;
      const res = await this.client.txn({
        compare: atRevision(k, expectedRevision),
        success: [{ request_put: lease === 0 ? { key: k, value: bytes, prev_kv: true } : { key: k, value: bytes, prev_kv: true, lease } }],
        failure: [{ request_range: { key: k } }],
      });
      const rev = this.observe(res.header);
      if (!res.succeeded) throw preconditionFailed(key, res.responses[0]?.response_range?.kvs[0], expectedRevision);
      const prev = res.responses[0]?.response_put?.prev_kv;
      return { key, value: stored, createRevision: int(prev?.create_revision), modRevision: rev };
    } catch (err) {
      throw this.fail(err, `updating ${key}`, { key });
    }
  }

  async delete<T = unknown>(key: string, expectedRevision?: number): Promise<StoredObject<T>> {
    this.assertOpen();
    const k = this.etcdKey(key);
    try {
      const res = await this.client.txn({
        compare: atRevision(k, expectedRevision),
        success: [{ request_delete_range: { key: k, prev_kv: true } }],
        failure: [{ request_range: { key: k } }],
      });
      const rev = this.observe(res.header);
      if (!res.succeeded) throw preconditionFailed(key, res.responses[0]?.response_range?.kvs[0], expectedRevision);
      const prev = res.responses[0]?.response_delete_range?.prev_kvs[0];
      if (!prev) throw new StorageError('Internal', `etcd deleted ${key} without its previous value`, { key });
      const obj = this.toObject<T>(prev);
      if (!obj) throw new StorageError('Internal', `etcd key ${prev.key.toString('utf8')} does not map back to ${key}`, { key });
      return { ...obj, modRevision: rev };
    } catch (err) {
      throw this.fail(err, `deleting ${key}`, { key });
    }
  }

  watch<T = unknown>(prefix: string, fromRevision: number, handlers: WatchHandlers<T>): Watcher {
    this.assertOpen();
    if (fromRevision < this.compacted) {
      throw new StorageError('Compacted', `revision ${fromRevision} has been compacted`, { revision: this.compacted });
    }
    const w = new EtcdWatch(prefix, fromRevision, handlers as WatchHandlers<unknown>, {
      clients: this.watchClients,
      written: (key, kv) => this.written.get(key, kv.value),
      first: this.nextWatchMember++ % this.watchClients.length,
      mapper: this.mapper,
      observe: (rev) => {
        if (rev > this.revision) this.revision = rev;
      },
      observeCompacted: (rev) => {
        if (rev > this.compacted) this.compacted = rev;
      },
      retryDelayMs: this.retryDelay,
      onClose: (x) => this.watches.delete(x),
    });
    this.watches.add(w);
    return w;
  }

  async compact(revision: number): Promise<void> {
    this.assertOpen();
    if (revision <= this.compacted) return;
    try {
      const res = await this.client.compact({ revision });
      this.observe(res.header);
    } catch (err) {
      // Not this.fail: a compaction refused as Compacted says etcd's compact revision is at least
      // this one (another API server compacted), not above it.
      const mapped = this.closed ? closedError() : toStorageError(err, `compacting at ${revision}`, this.known(), { requested: revision });
      if (mapped.code !== 'Compacted') throw mapped;
    }
    if (revision > this.compacted) this.compacted = revision;
  }

  /** Keys without a lease, attached to one by the TTL migration (lease-backfill.ts). */
  unexpiring(): UnexpiringKeys {
    return new LeaseBackfill({ client: this.client, read: (req) => this.range(req), mapper: this.mapper, observe: (h) => this.observe(h), toObject: (kv) => this.toObject(kv) });
  }

  requestWatchProgress(): void {
    for (const w of this.watches) w.requestProgress();
  }

  /** etcd's revision now: the header of a linearizable read (of <prefix>/health, as the health check). */
  async freshRevision(): Promise<number> {
    await this.checkHealth();
    return this.revision;
  }

  /** Upstream's etcd check: a quorum read of <prefix>/health. */
  async checkHealth(): Promise<void> {
    this.assertOpen();
    try {
      const res = await this.range({ key: Buffer.from(`${this.mapper.prefix}/health`) });
      this.observe(res.header);
    } catch (err) {
      throw this.fail(err, 'etcd health check');
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.watches]) w.fail(closedError());
    this.watches.clear();
    if (this.ownsClient) for (const c of new Set([this.client, ...this.watchClients])) c.close();
  }

  private assertOpen(): void {
    if (this.closed) throw closedError();
  }
}

