/**
 * The server's concurrency limiter from its flags: API Priority and Fairness by default (the
 * seats are --max-requests-inflight + --max-mutating-requests-inflight, 400 + 200), or with
 * --enable-priority-and-fairness=false upstream's plain max-in-flight limits.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ResourceRegistry } from '../../api/registry/registry.ts';
import type { Store } from '../../storage/types.ts';
import { maxInFlight, priorityAndFairness, type RequestLimiter } from './filter.ts';
import { FlowControl } from './flow-control.ts';
import { followFlowControlConfig } from './follow-config.ts';
import { FlowControlMetrics } from './metrics.ts';

/** Upstream's borrowing adjustment period. */
const BORROWING_PERIOD_MS = 10_000;

export interface FlowControlFlags {
  /** --enable-priority-and-fairness (default true). */
  enabled?: boolean;
  /** --max-requests-inflight (default 400). */
  maxRequestsInflight?: number;
  /** --max-mutating-requests-inflight (default 200). */
  maxMutatingRequestsInflight?: number;
  /** How long a request may wait in a priority level's queue (default 15 s). */
  waitLimitMs?: number;
  /** How often borrowing adjusts the levels' seats (default 10 s, as upstream; tests that count seats set it long). */
  borrowingPeriodMs?: number;
}

export interface LimiterDeps {
  store: Store;
  registry: ResourceRegistry;
  now: () => Date;
  log: Logger;
  metrics: Registry;
}

export function buildLimiter(flags: FlowControlFlags, deps: LimiterDeps): { limiter: RequestLimiter; flowControl?: FlowControl; start(): void; stop(): void } {
  const readOnly = flags.maxRequestsInflight ?? 400;
  const mutating = flags.maxMutatingRequestsInflight ?? 200;
  if (flags.enabled === false) return { limiter: maxInFlight(readOnly, mutating), start: () => {}, stop: () => {} };
  const fc = new FlowControl({ serverConcurrencyLimit: readOnly + mutating, waitLimitMs: flags.waitLimitMs, now: deps.now, log: deps.log, metrics: new FlowControlMetrics(deps.metrics) });
  let stop: (() => void) | undefined;
  let borrowing: ReturnType<typeof setInterval> | undefined;
  return {
    limiter: priorityAndFairness(fc),
    flowControl: fc,
    start: () => {
      stop ??= followFlowControlConfig(fc, deps);
      borrowing ??= setInterval(() => fc.adjustLimits(), flags.borrowingPeriodMs ?? BORROWING_PERIOD_MS);
      borrowing.unref?.();
    },
    stop: () => {
      stop?.();
      clearInterval(borrowing);
    },
  };
}
