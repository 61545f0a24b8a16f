/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection with the
 * LeaseLock and ReleaseOnCancel:
 * - try every retryPeriod (jittered) to acquire: create the Lease if there is none; take it when
 *   it has no holder or has expired. Expiry is judged on the local clock, as upstream: the record
 *   last seen changing at observedTime is valid until observedTime + leaseDurationSeconds (so
 *   clock skew between candidates does not matter, and a candidate that starts late waits one
 *   whole lease duration before taking a lease it found held);
 * - when taking it from another holder: leaseTransitions + 1, acquireTime = now; renewTime = now
 *   on every renewal; every write carries the resourceVersion read (a conflict is a lost round);
 * - the leader renews every retryPeriod; if no renewal succeeds for renewDeadline it stops
 *   leading (onStoppedLeading) and goes back to trying to acquire;
 * - stop(): a leader releases the Lease by clearing holderIdentity (leaseDurationSeconds 1), so
 *   another candidate takes over at its next try instead of waiting out the lease.
 */
import { isNotFound } from './errors.ts';
import { resources } from './resources.ts';
import { realTimers, type Timers } from './timers.ts';
import type { ApiClient, K8sObject, LeaderElectionConfig, LeaderElector } from './types.ts';

export interface LeaderElectionOptions {
  timers?: Timers;
  now?: () => number;
  random?: () => number;
  log?: { info(obj: unknown, msg?: string): void; warn(obj: unknown, msg?: string): void };
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

/** client-go's JitterFactor for the acquire loop. */
const JITTER = 1.2;

/** metav1.MicroTime: RFC 3339 with microseconds. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function sameRecord(a: LeaseSpec | undefined, b: LeaseSpec | undefined): boolean {
  return JSON.stringify(a ?? {}) === JSON.stringify(b ?? {});
}

export function validateLeaderElectionConfig(c: LeaderElectionConfig): void {
  // The checks of leaderelection.NewLeaderElector: a renewal must be able to finish inside the lease.
  if (!c.identity) throw new Error('leader election: identity must not be empty');
  if (!(c.leaseDurationMs > c.renewDeadlineMs)) throw new Error('leader election: leaseDuration must be greater than renewDeadline');
  if (!(c.renewDeadlineMs > JITTER * c.retryPeriodMs)) throw new Error('leader election: renewDeadline must be greater than retryPeriod*JitterFactor');
  if (c.leaseDurationMs < 1000 || c.retryPeriodMs < 1) throw new Error('leader election: leaseDuration must be at least 1 s and retryPeriod positive');
}

export class LeaseLeaderElector implements LeaderElector {
  private readonly client: ApiClient;
  private readonly cfg: LeaderElectionConfig;
  private readonly timers: Timers;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly log: NonNullable<LeaderElectionOptions['log']>;
  private observed?: LeaseSpec;
  private observedTime = 0;
  private leading = false;
  private stopped = false;
  private wake?: { handle: unknown; resolve: () => void };
  private readonly loop: Promise<void>;

  constructor(client: ApiClient, cfg: LeaderElectionConfig, opts: LeaderElectionOptions = {}) {
    validateLeaderElectionConfig(cfg);
    this.client = client;
    this.cfg = cfg;
    this.timers = opts.timers ?? realTimers;
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.log = opts.log ?? { info() {}, warn() {} };
    this.loop = this.run();
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** The holder last seen in the Lease ('' when none). */
  observedHolder(): string {
    return this.observed?.holderIdentity ?? '';
  }

  async stop(): Promise<void> {
    if (this.stopped) return this.loop;
    this.stopped = true;
    if (this.wake) {
      this.timers.clearTimeout(this.wake.handle);
      this.wake.resolve();
    }
    await this.loop;
    // Also when a last acquire succeeded while stopping (held, but never announced).
    if (this.observed?.holderIdentity === this.cfg.identity) await this.release();
    this.stopLeading();
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const handle = this.timers.setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = { handle, resolve };
    });
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      // Acquire.
      while (!this.stopped && !(await this.tryAcquireOrRenew())) {
        await this.sleep(this.cfg.retryPeriodMs * (1 + JITTER * this.random()));
      }
      if (this.stopped) return;
      this.leading = true;
      this.log.info({ lease: `${this.cfg.namespace}/${this.cfg.name}`, identity: this.cfg.identity }, 'became leader');
      this.call(() => this.cfg.onStartedLeading());
      // Renew until a whole renewDeadline passes without a successful renewal.
      let lastRenew = this.now();
      while (!this.stopped) {
        await this.sleep(this.cfg.retryPeriodMs);
        if (this.stopped) return;
        if (await this.tryAcquireOrRenew()) lastRenew = this.now();
        else if (this.now() - lastRenew >= this.cfg.renewDeadlineMs) break;
      }
      if (this.stopped) return;
      this.log.warn({ lease: `${this.cfg.namespace}/${this.cfg.name}`, identity: this.cfg.identity }, 'failed to renew lease; stopped leading');
      this.stopLeading();
    }
  }

  private stopLeading(): void {
    if (!this.leading) return;
    this.leading = false;
    this.call(() => this.cfg.onStoppedLeading());
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.warn({ err }, 'leader election callback threw');
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.now();
    const mine: LeaseSpec = {
      holderIdentity: this.cfg.identity,
      leaseDurationSeconds: Math.ceil(this.cfg.leaseDurationMs / 1000),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    const { namespace, name } = this.cfg;
    let lease: K8sObject;
    try {
      lease = await this.client.get<K8sObject>(resources.leases, namespace, name);
    } catch (err) {
      if (!isNotFound(err)) {
        this.log.warn({ err }, 'error retrieving lease');
        return false;
      }
      try {
        const created = await this.client.create<K8sObject>(resources.leases, namespace, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace }, spec: mine });
        this.observe(created.spec, this.now());
        return true;
      } catch (e) {
        this.log.warn({ err: e }, 'error creating lease');
        return false;
      }
    }
    const old: LeaseSpec = lease.spec ?? {};
    if (!sameRecord(old, this.observed)) this.observe(old, now);
    const held = !!old.holderIdentity;
    const mineNow = old.holderIdentity === this.cfg.identity;
    const valid = this.observedTime + (old.leaseDurationSeconds ?? 0) * 1000 > now;
    if (held && valid && !mineNow) return false;
    if (mineNow) {
      mine.acquireTime = old.acquireTime;
      mine.leaseTransitions = old.leaseTransitions ?? 0;
    } else {
      mine.leaseTransitions = (old.leaseTransitions ?? 0) + 1;
    }
    try {
      const updated = await this.client.update<K8sObject>(resources.leases, namespace, { ...lease, spec: { ...lease.spec, ...mine } });
      this.observe(updated.spec, this.now());
      return true;
    } catch (err) {
      this.log.warn({ err }, 'failed to update lease');
      return false;
    }
  }

  private observe(spec: LeaseSpec | undefined, at: number): void {
    this.observed = spec ? { ...spec } : {};
    this.observedTime = at;
  }

  /** ReleaseOnCancel: clear the holder so the next candidate need not wait out the lease. */
  private async release(): Promise<void> {
    const { namespace, name } = this.cfg;
    try {
      const lease = await this.client.get<K8sObject>(resources.leases, namespace, name);
      if (lease.spec?.holderIdentity !== this.cfg.identity) return;
      const now = microTime(this.now());
      await this.client.update(resources.leases, namespace, {
        ...lease,
        spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: lease.spec.leaseTransitions ?? 0 },
      });
    } catch (err) {
      this.log.warn({ err }, 'failed to release lease');
    }
  }
}

/** Starts campaigning at once; stop() ends it (releasing the Lease if held). */
export function startLeaderElection(client: ApiClient, cfg: LeaderElectionConfig, opts?: LeaderElectionOptions): LeaseLeaderElector {
  return new LeaseLeaderElector(client, cfg, opts);
}
