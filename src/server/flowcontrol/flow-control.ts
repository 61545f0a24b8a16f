/**
 * API Priority and Fairness (KEP-1040): classifies each authenticated request by the FlowSchemas
 * and gives it a seat of its priority level, after a wait in that level's queues if need be, or
 * rejects it with 429. The configuration follows the stored FlowSchemas and
 * PriorityLevelConfigurations (a watch on the store: this is the API server's own machinery, as
 * upstream's config controller runs inside kube-apiserver); each change applies at once.
 */
import type { Logger } from 'pino';
import { ApiError } from '../../api/errors.ts';
import type { UserInfo } from '../../authn/types.ts';
import type { RequestInfo } from '../request-info.ts';
import { digest, type DanglingCondition, type SchemaConfig } from './config.ts';
import { compileFlowSchema, type RequestMatcher } from './match.ts';
import { PriorityLevel, type Waiter } from './priority-level.ts';
import { DroppedRequests } from './retry-after.ts';
import { hashFlowId } from './shuffle-shard.ts';
import { allocate } from './borrowing.ts';
import type { FlowControlMetrics, FlowMetricChildren, RejectReason } from './metrics.ts';

type Obj = Record<string, any>;

/** kube-apiserver's --max-requests-inflight + --max-mutating-requests-inflight defaults. */
export const DEFAULT_SERVER_CONCURRENCY = 400 + 200;
/** A quarter of the default 60 s request timeout, as upstream's defaultRequestWaitLimit. */
export const DEFAULT_WAIT_LIMIT_MS = 15_000;
export const TOO_MANY_REQUESTS_MESSAGE = 'Too many requests, please try again later.';

export interface FlowControlOptions {
  /** ServerCL: the seats shared out among the priority levels. */
  serverConcurrencyLimit?: number;
  /** How long a request may wait in a queue before it is rejected (reason time-out). */
  waitLimitMs?: number;
  now: () => Date;
  /** Monotonic milliseconds for the seat-demand statistics (default performance.now). */
  clock?: () => number;
  metrics?: FlowControlMetrics;
  log?: Logger;
}

interface Schema extends SchemaConfig {
  m: FlowMetricChildren | undefined;
  /** The spec's test, compiled when the configuration is applied (every request walks the schemas). */
  matches: RequestMatcher;
}

export interface Classification {
  schema: { name: string; uid: string };
  level: { name: string; uid: string };
  /** The seat's release (idempotent), once the request holds one. */
  release?: () => void;
}

export class FlowControl {
  readonly #opts: Required<Pick<FlowControlOptions, 'serverConcurrencyLimit' | 'waitLimitMs'>> & FlowControlOptions;
  readonly #dropped: DroppedRequests;
  #schemas: Schema[] = [];
  #levels = new Map<string, PriorityLevel>();
  #dangling = new Map<string, DanglingCondition>();

  constructor(opts: FlowControlOptions) {
    this.#opts = { ...opts, serverConcurrencyLimit: opts.serverConcurrencyLimit ?? DEFAULT_SERVER_CONCURRENCY, waitLimitMs: opts.waitLimitMs ?? DEFAULT_WAIT_LIMIT_MS };
    this.#dropped = new DroppedRequests(opts.now);
    this.configure([], []);
  }

  /** Apply a configuration (the stored FlowSchemas and PriorityLevelConfigurations). */
  configure(flowSchemas: Iterable<Obj>, priorityLevels: Iterable<Obj>): void {
    const d = digest(flowSchemas, priorityLevels, this.#opts.serverConcurrencyLimit);
    const levels = new Map<string, PriorityLevel>();
    for (const cfg of d.levels) {
      const old = this.#levels.get(cfg.name);
      if (old && old.cfg.exempt === cfg.exempt) {
        old.reconfigure(cfg);
        levels.set(cfg.name, old);
      } else {
        // A level that changes kind starts afresh; requests already admitted to the old one finish there.
        levels.set(cfg.name, new PriorityLevel(cfg, this.#opts.waitLimitMs, this.#opts.clock ?? (() => performance.now())));
      }
      this.#opts.metrics?.nominalLimit.set({ priority_level: cfg.name }, cfg.nominal);
      this.#opts.metrics?.currentLimit.set({ priority_level: cfg.name }, cfg.nominal);
    }
    // Levels gone from the configuration keep serving the requests they queued (they hold them).
    for (const name of this.#levels.keys()) {
      if (levels.has(name)) continue;
      this.#opts.metrics?.nominalLimit.remove({ priority_level: name });
      this.#opts.metrics?.currentLimit.remove({ priority_level: name });
    }
    this.#dropped.forget((name) => levels.has(name));
    this.#levels = levels;
    const pairs = new Set(d.schemas.map((s) => `${s.level}\u0000${s.name}`));
    // The series of a FlowSchema × level pair that is gone are dropped, so their number stays
    // bounded by the configuration (requests still running there update series no longer shown).
    for (const old of this.#schemas) if (!pairs.has(`${old.level}\u0000${old.name}`)) this.#opts.metrics?.forget(old.level, old.name);
    this.#schemas = d.schemas.map((s) => ({ ...s, m: this.#opts.metrics?.children(s.level, s.name), matches: compileFlowSchema(s.spec) }));
    this.#dangling = d.dangling;
  }

  /** The Dangling condition each stored FlowSchema should carry under the current configuration. */
  danglingConditions(): ReadonlyMap<string, DanglingCondition> {
    return this.#dangling;
  }

  /** The seats a limited level may use now (for tests and explain). */
  levelLimit(name: string): number | undefined {
    const l = this.#levels.get(name);
    return l && !l.cfg.exempt ? l.limit : undefined;
  }

  /**
   * One borrowing adjustment (upstream runs it every 10 s): each level's CurrentCL from its seat
   * demand over the period just ended, between NominalCL − LendableCL and NominalCL + BorrowingCL.
   */
  adjustLimits(): void {
    const levels = [...this.#levels.values()];
    let total = 0;
    const items = levels.map((l) => {
      l.demand.period();
      total += l.cfg.nominal;
      const minCL = l.cfg.nominal - l.cfg.lendable;
      const lower = l.cfg.exempt ? Math.max(minCL, l.demand.highWatermark) : Math.max(minCL, Math.min(l.cfg.nominal, l.demand.highWatermark));
      return { lowerBound: lower, upperBound: l.cfg.nominal + l.cfg.borrowing, target: Math.max(lower, l.demand.smoothed) };
    });
    const allocs = allocate(total, items);
    if (!allocs) return;
    levels.forEach((l, i) => {
      const limit = Math.round(allocs[i]!);
      this.#opts.metrics?.currentLimit.set({ priority_level: l.cfg.name }, limit);
      if (!l.cfg.exempt && limit !== l.limit) l.setLimit(limit);
    });
  }

  /**
   * Classify and wait for a seat. Resolves with the classification holding the seat's release;
   * rejects with a 429 ApiError (its classification in `classification`). `onGone` registers the
   * callback to run if the client goes away while the request waits.
   */
  async admit(info: RequestInfo, user: UserInfo, onGone: (cb: () => void) => void): Promise<Classification> {
    return this.admitNow(info, user, onGone);
  }

  /**
   * admit() that gives a seat free at once directly, without a promise (the request path's
   * common case); a queued request gets a promise, and a refusal is a rejected promise as before.
   */
  admitNow(info: RequestInfo, user: UserInfo, onGone: (cb: () => void) => void): Classification | Promise<Classification> {
    const schema = this.#classify(info, user);
    // The mandatory catch-all level always exists (imagined when not stored).
    const level = this.#levels.get(schema.level)!;
    const c: Classification = { schema: { name: schema.name, uid: schema.uid }, level: { name: level.cfg.name, uid: level.cfg.uid } };
    const m = schema.m;
    const distinguisher = schema.distinguisher === 'ByUser' ? user.username : schema.distinguisher === 'ByNamespace' ? info.namespace : '';
    const running = () => {
      m?.dispatched.inc();
      m?.executing.inc();
      let done = false;
      c.release = () => {
        if (done) return;
        done = true;
        m?.executing.dec();
        level.finish();
      };
      return c;
    };
    let waiter: Waiter = { dispatch: () => {}, leave: () => {} };
    const r = level.admit(() => hashFlowId(schema.name, distinguisher), { dispatch: () => waiter.dispatch(), leave: (why) => waiter.leave(why) });
    if (r === 'run') {
      m?.waitRun.observe(0);
      return running();
    }
    if (typeof r === 'string') return Promise.reject(this.#reject(c, m, r));
    m?.inQueue.inc();
    const t0 = performance.now();
    return new Promise<Classification>((resolve, reject) => {
      waiter = {
        dispatch: () => {
          m?.inQueue.dec();
          m?.waitRun.observe((performance.now() - t0) / 1000);
          resolve(running());
        },
        leave: (why) => {
          m?.inQueue.dec();
          m?.waitReject.observe((performance.now() - t0) / 1000);
          reject(this.#reject(c, m, why));
        },
      };
      onGone(() => r.cancel());
    });
  }

  #classify(info: RequestInfo, user: UserInfo): Schema {
    for (const s of this.#schemas) if (s.matches(info, user)) return s;
    // Unreachable while the catch-all FlowSchema matches everyone; kept as upstream's fallback.
    return this.#schemas.find((s) => s.name === 'catch-all')!;
  }

  #reject(c: Classification, m: FlowMetricChildren | undefined, reason: RejectReason): ApiError {
    m?.rejected(reason);
    this.#dropped.record(c.level.name);
    const err = new ApiError(429, 'TooManyRequests', TOO_MANY_REQUESTS_MESSAGE, { retryAfterSeconds: this.#dropped.retryAfter(c.level.name) });
    (err as ApiError & { classification?: Classification }).classification = c;
    return err;
  }
}

/** The classification a 429 from FlowControl.admit carries. */
export function rejectedClassification(err: unknown): Classification | undefined {
  return (err as { classification?: Classification } | undefined)?.classification;
}
