/**
 * The server's audit: the policy and the backends. Requests get a RequestAudit from begin();
 * emitting only queues in the backends, so a slow or dead sink never holds a request.
 */
import type { Logger } from 'pino';
import { PolicyChecker } from './checker.ts';
import { RequestAudit, type RequestStart } from './request-audit.ts';
import type { AuditBackend, AuditEvent, BackendStats, Policy } from './types.ts';

export interface AuditorOptions {
  policy: Policy;
  backends: AuditBackend[];
  /** Epoch milliseconds with a fraction; default the performance clock (microseconds). */
  clock?: () => number;
  log?: Pick<Logger, 'error'>;
}

export class Auditor {
  readonly #checker: PolicyChecker;
  /** The configured backends (log, webhook), for their counters. */
  readonly backends: readonly AuditBackend[];
  readonly #clock: () => number;
  readonly #log: Pick<Logger, 'error'> | undefined;

  constructor(o: AuditorOptions) {
    this.#checker = new PolicyChecker(o.policy);
    this.backends = o.backends;
    this.#clock = o.clock ?? (() => performance.timeOrigin + performance.now());
    this.#log = o.log;
  }

  begin(start: RequestStart): RequestAudit {
    return new RequestAudit({ checker: this.#checker, clock: this.#clock, emit: (ev) => this.#emit(ev) }, start);
  }

  #emit(ev: AuditEvent): void {
    for (const b of this.backends) {
      try {
        b.processEvents([ev]);
      } catch (err) {
        // A backend must not fail the request it records; its own counters say what was lost.
        this.#log?.error({ err, backend: b.name }, 'audit backend failed');
      }
    }
  }

  /** Per backend: events accepted, dropped, failed (read by /metrics). */
  stats(): Record<string, BackendStats> {
    return Object.fromEntries(this.backends.map((b) => [b.name, b.stats()]));
  }

  async close(): Promise<void> {
    await Promise.all(this.backends.map((b) => b.close()));
  }
}
