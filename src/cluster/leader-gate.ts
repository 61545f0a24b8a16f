/**
 * Runs a component only while it holds its Lease (kube-controller-manager and kube-scheduler
 * with --leader-elect): started on becoming leader, stopped on losing the Lease. Upstream exits
 * the process when leadership is lost, since its informers may hold a view another leader has
 * since changed; in one process with the API server we cannot exit, so the component is torn down
 * whole (informers included) and built afresh if leadership comes back.
 */
import { startLeaderElection, type LeaderElectionOptions } from './client/leader-election.ts';
import type { ApiClient } from './client/types.ts';

export interface LeaderElectionSettings {
  /** Upstream defaults: 15 s, 10 s, 2 s. */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** holderIdentity: upstream's "<hostname>_<uuid>". */
  identity: string;
}

export interface GateLog {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

/** What runs while leading: its stop resolves once everything it started is stopped. */
export type Runner = () => { stop(): Promise<void> };

export interface LeaderGate {
  /** Leading, and the component is running. */
  isLeader(): boolean;
  stop(): Promise<void>;
}

export const DEFAULT_LEASE_TIMING = Object.freeze({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 });

/**
 * Without `settings` (--leader-elect=false) the component runs at once; with them it runs only
 * between onStartedLeading and onStoppedLeading of the Lease namespace/name.
 */
export function runWhileLeading(client: ApiClient, lease: { namespace: string; name: string }, settings: LeaderElectionSettings | undefined, run: Runner, log: GateLog, opts?: LeaderElectionOptions): LeaderGate {
  if (!settings) {
    const running = run();
    return { isLeader: () => true, stop: () => running.stop() };
  }
  let running: { stop(): Promise<void> } | undefined;
  let closed = false;
  // Stops are chained so a restart never overlaps the teardown of the run before it.
  let stopping: Promise<void> = Promise.resolve();
  const halt = () => {
    const r = running;
    running = undefined;
    if (r) stopping = stopping.then(() => r.stop()).catch((err) => log.error({ err }, `stopping after losing ${lease.namespace}/${lease.name} failed`));
    return stopping;
  };
  const elector = startLeaderElection(
    client,
    {
      ...lease,
      identity: settings.identity,
      leaseDurationMs: settings.leaseDurationMs ?? DEFAULT_LEASE_TIMING.leaseDurationMs,
      renewDeadlineMs: settings.renewDeadlineMs ?? DEFAULT_LEASE_TIMING.renewDeadlineMs,
      retryPeriodMs: settings.retryPeriodMs ?? DEFAULT_LEASE_TIMING.retryPeriodMs,
      onStartedLeading() {
        void stopping.then(() => {
          if (closed || !elector.isLeader() || running) return;
          try {
            running = run();
          } catch (err) {
            log.error({ err }, `starting as leader of ${lease.namespace}/${lease.name} failed`);
          }
        });
      },
      onStoppedLeading() {
        log.warn({ lease: `${lease.namespace}/${lease.name}` }, 'leaderelection lost');
        void halt();
      },
    },
    { log, ...opts },
  );
  return {
    isLeader: () => elector.isLeader() && running !== undefined,
    async stop() {
      // Stop acting before the Lease is released, so two never act together.
      closed = true;
      await halt();
      await elector.stop();
    },
  };
}
