/**
 * Leases for keys written with a TTL, as kube-apiserver's etcd3 leaseManager
 * (k8s.io/apiserver/pkg/storage/etcd3/lease_manager.go): granting a lease per write would cost
 * etcd a lease per Event, so the last lease is reused while it expires neither too early nor
 * too late for the TTL asked now:
 *
 *   reuse = min(0.05 * ttl, ReuseDurationSeconds = 60)          (whole seconds)
 *   reused when now + ttl < expiry <= now + ttl + reuse, and it has fewer than
 *   MaxObjectCount (1,000) keys attached (storagebackend.DefaultLeaseMaxObjectCount);
 *   otherwise a new lease of ttl + reuse seconds is granted and remembered.
 *
 * So a key lives at least its TTL and at most TTL + reuse (an Event under the default 1 h: up to
 * 61 min, as upstream). Grants are serialised (upstream holds its mutex across the Grant): writes
 * that ask together share the one grant they waited for.
 */
import type { Int64 } from './etcd-proto.ts';

export interface LeaseGranter {
  /** etcd's Lease/LeaseGrant with the lessor choosing the ID; returns the lease ID. */
  grant(ttlSeconds: number): Promise<Int64>;
}

export interface LeaseManagerOptions {
  /** Upstream's LeaseManagerConfig.ReuseDurationSeconds (default 60). */
  reuseDurationSeconds?: number;
  /** Upstream's LeaseManagerConfig.MaxObjectCount (default 1,000). */
  maxObjectCount?: number;
  /** Milliseconds clock (default Date.now). */
  now?: () => number;
  /**
   * Called on each grant with the requests counted against the lease it replaces, the one that
   * asked for the new lease included (1 on the first grant): upstream's
   * metrics.UpdateLeaseObjectCount, the etcd_lease_object_counts histogram.
   */
  onGrant?: (objects: number) => void;
}

const REUSE_DURATION_PERCENT = 0.05;

export class LeaseManager {
  private readonly granter: LeaseGranter;
  private readonly reuseSeconds: number;
  private readonly maxObjects: number;
  private readonly now: () => number;
  private readonly onGrant?: (objects: number) => void;
  private prevId: Int64 | undefined;
  /** When the previous lease expires (ms). */
  private prevExpiry = 0;
  private attached = 0;
  /** The grant in flight: later callers wait for it, then decide again. */
  private granting: Promise<unknown> = Promise.resolve();
  /** Leases granted so far. */
  granted = 0;

  constructor(granter: LeaseGranter, opts: LeaseManagerOptions = {}) {
    this.granter = granter;
    this.reuseSeconds = opts.reuseDurationSeconds ?? 60;
    this.maxObjects = opts.maxObjectCount ?? 1000;
    this.now = opts.now ?? Date.now;
    this.onGrant = opts.onGrant;
  }

  /** A lease for a key that must live ttlSeconds (> 0). */
  async getLease(ttlSeconds: number): Promise<Int64> {
    const turn = this.granting.then(() => this.decide(ttlSeconds));
    this.granting = turn.catch(() => undefined);
    return turn;
  }

  private async decide(ttl: number): Promise<Int64> {
    const now = this.now();
    const reuse = Math.min(Math.floor(REUSE_DURATION_PERCENT * ttl), this.reuseSeconds);
    const valid = now + ttl * 1000 < this.prevExpiry;
    // >= where upstream has After: its clock has moved on by the next call, a millisecond clock may not have.
    const sufficient = now + (ttl + reuse) * 1000 >= this.prevExpiry;
    // Every request counts against the lease, whether its write then succeeds or not (as upstream).
    this.attached++;
    if (this.prevId !== undefined && valid && sufficient && this.attached <= this.maxObjects) return this.prevId;
    const id = await this.granter.grant(ttl + reuse);
    this.granted++;
    this.prevId = id;
    this.prevExpiry = now + (ttl + reuse) * 1000;
    // As upstream: observed after the grant, before the count starts again at this request.
    this.onGrant?.(this.attached);
    this.attached = 1;
    return id;
  }
}
