/**
 * UnexpiringKeys on etcd (expiry-backfill.ts): keys without a lease are attached to one.
 *
 * - page: a keys-only Range of at most `limit` keys (each kv says its lease); only when some have
 *   lease 0 are their values read, at the same revision, so a prefix whose keys all have leases
 *   costs keys-only reads. The cursor is the etcd key after the last one examined.
 * - attach: per key one Txn, `mod_revision == the revision read` then a put with ignore_value and
 *   the lease: the value stays, and a key written meanwhile (its write gave it its own lease, or
 *   none) or deleted fails the compare and keeps what that write gave it. Like any put it is a new
 *   revision (a MODIFIED watch event with the same object).
 * - leases: a key with r seconds left goes on a lease that ends after r and within a window of
 *   min(5% of r, 60 s) (at least 1 s) after it, as the lease manager's reuse rule. The end is put on
 *   a fixed grid (the largest of 1, 2, 5, 10, 15, 30, 60 s that fits the window), so keys of nearby
 *   r share a lease in whatever order they come (about 60 leases for an hour's spread of Events);
 *   at most maxObjectCount keys a lease. A key whose time has passed gets 2 s (etcd's shortest
 *   lease at its default election timeout), so the lessor deletes it soon, in its step.
 * Grants are serialised; Txns run a few at a time.
 */
import type { StoredObject } from '../types.ts';
import { StorageError } from '../types.ts';
import type { ExpiryGrant, UnexpiringKeys, UnexpiringPage } from '../unexpiring-keys.ts';
import { CompareResult, CompareTarget, int } from './etcd-proto.ts';
import type { Int64, KeyValue, RangeRequest, RangeResponse, ResponseHeader } from './etcd-proto.ts';
import type { EtcdKv } from './etcd-kv-client.ts';
import type { KeyMapper } from './key-mapper.ts';

/** Seconds: etcd raises any shorter lease to its minimum (1.5 s at default timing, rounded up). */
const MIN_TTL = 2;
const MAX_WINDOW = 60;
/** Grid steps (s) for lease ends, each a divisor of the next but 15 and 10: any two grids meet every 30 s. */
const GRID = [60, 30, 15, 10, 5, 2, 1];
/** Leases remembered for reuse. */
const POOL = 256;
/** Txns in flight at once. */
const PARALLEL = 16;
const ZERO = Buffer.from([0]);

export interface LeaseBackfillDeps {
  client: Pick<EtcdKv, 'txn' | 'leaseGrant'>;
  /** The store's Range (with its retry). */
  read: (req: RangeRequest) => Promise<RangeResponse>;
  mapper: KeyMapper;
  /** The store's view of etcd's revision. */
  observe: (header: ResponseHeader | null | undefined) => void;
  toObject: (kv: KeyValue) => StoredObject | undefined;
  now?: () => number;
  /** Keys per lease (default 1,000, as the lease manager's). */
  maxObjectCount?: number;
}

interface PoolLease {
  id: Int64;
  attached: number;
}

export class LeaseBackfill implements UnexpiringKeys {
  private readonly deps: LeaseBackfillDeps;
  private readonly now: () => number;
  private readonly maxObjects: number;
  /** By the grid time (ms) each ends at, or after: the lessor starts its clock when it applies the grant. */
  private readonly pool = new Map<number, PoolLease>();
  private granting: Promise<unknown> = Promise.resolve();

  constructor(deps: LeaseBackfillDeps) {
    this.deps = deps;
    this.now = deps.now ?? Date.now;
    this.maxObjects = deps.maxObjectCount ?? 1000;
  }

  async page(prefix: string, cursor: string | undefined, limit: number): Promise<UnexpiringPage> {
    const { mapper, read, observe, toObject } = this.deps;
    const range = mapper.range(prefix);
    if (!range) return { items: [], examined: 0 };
    const mine = (kv: KeyValue) => {
      const k = mapper.fromEtcd(kv.key);
      return k !== undefined && (!range.filter || range.filter(k));
    };
    const bare = (kv: KeyValue) => int(kv.lease) === 0 && mine(kv);
    const keys = await read({ key: cursor === undefined ? range.key : Buffer.from(cursor, 'base64'), range_end: range.rangeEnd, limit, keys_only: true });
    observe(keys.header);
    const found = keys.kvs.filter(bare);
    const items: StoredObject[] = [];
    if (found.length > 0) {
      const values = await read({ key: found[0].key, range_end: Buffer.concat([found[found.length - 1].key, ZERO]), revision: int(keys.header.revision) });
      for (const kv of values.kvs) {
        const o = bare(kv) ? toObject(kv) : undefined;
        if (o) items.push(o);
      }
    }
    const page: UnexpiringPage = { items, examined: keys.kvs.length };
    if (keys.more && keys.kvs.length > 0) page.next = Buffer.concat([keys.kvs[keys.kvs.length - 1].key, ZERO]).toString('base64');
    return page;
  }

  async attach(grants: ExpiryGrant[]): Promise<number> {
    let given = 0;
    let next = 0;
    const worker = async () => {
      while (next < grants.length) {
        if (await this.attachOne(grants[next++])) given++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL, grants.length) }, worker));
    return given;
  }

  private async attachOne(g: ExpiryGrant): Promise<boolean> {
    const key = this.deps.mapper.toEtcd(g.key);
    const lease = await this.leaseFor(g.ttlSeconds);
    const res = await this.deps.client.txn({
      compare: [{ key, target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: g.modRevision }],
      success: [{ request_put: { key, ignore_value: true, lease } }],
    });
    this.deps.observe(res.header);
    return res.succeeded;
  }

  /** A lease for a key that must live `ttlSeconds` more (serialised, so one grant serves the keys that wait for it). */
  private leaseFor(ttlSeconds: number): Promise<Int64> {
    const turn = this.granting.then(() => this.choose(Math.max(MIN_TTL, ttlSeconds)));
    this.granting = turn.catch(() => undefined);
    return turn;
  }

  private async choose(ttl: number): Promise<Int64> {
    const window = Math.max(1, Math.min(MAX_WINDOW, Math.floor(0.05 * ttl)));
    const step = GRID.find((g) => g <= window)! * 1000;
    const now = this.now();
    // The first grid time after now + ttl: within the window.
    const end = Math.ceil((now + ttl * 1000 + 1) / step) * step;
    // Leases that can no longer serve the shortest key are forgotten.
    for (const t of this.pool.keys()) if (t <= now + MIN_TTL * 1000) this.pool.delete(t);
    const fit = this.pool.get(end);
    if (fit && fit.attached < this.maxObjects) {
      fit.attached++;
      return fit.id;
    }
    const res = await this.deps.client.leaseGrant({ TTL: Math.ceil((end - now) / 1000), ID: 0 });
    if (res.error) throw new StorageError('Internal', `etcd lease grant: ${res.error}`);
    this.pool.set(end, { id: res.ID, attached: 1 });
    if (this.pool.size > POOL) this.pool.delete(this.pool.keys().next().value!);
    return res.ID;
  }
}
