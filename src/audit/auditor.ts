/**
 * The server's audit: the policy and the backends. Requests get a RequestAudit from begin();
 * emitting only queues in the backends, so a slow or dead sink never holds a request.
 */
import type { Logger } from 'pino';
import { PolicyChecker } from './checker.ts';
import { RequestAudit, type AuditSink, type RequestStart } from './request-audit.ts';
import type { AuditBackend, AuditEvent, BackendStats, Policy } from './types.ts';

export interface AuditorOptions {
  policy: Policy;
  backends: AuditBackend[];
  /** Epoch milliseconds with a fraction; default the performance clock (microseconds). */
  clock?: () => number;
  log?: Pick<Logger, 'error'>;
}

export class Auditor {
  /** The configured backends (log, webhook), for their counters. */
  readonly backends: readonly AuditBackend[];
  readonly #log: Pick<Logger, 'error'> | undefined;
  /** One sink for every request (no per-request closure). */
  readonly #sink: AuditSink;

  constructor(o: AuditorOptions) {
    this.backends = o.backends;
    this.#log = o.log;
    this.#sink = { checker: new PolicyChecker(o.policy), clock: o.clock ?? (() => performance.timeOrigin + performance.now()), emit: (ev) => this.#emit(ev) };
  }

  begin(start: RequestStart): RequestAudit {
    return new RequestAudit(this.#sink, start);
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
