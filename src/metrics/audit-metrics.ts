/**
 * Audit figures read from the audit backends' counters when scraped (src/audit keeps them):
 * upstream's apiserver_audit_event_total and apiserver_audit_error_total{plugin}, and the drops
 * on their own. Upstream counts an event dropped by a full buffer as a plugin error, so errors
 * here are failures plus drops.
 */
import { Counter } from 'prom-client';
import type { BackendStats } from '../audit/types.ts';
import type { ApiserverMetrics } from './apiserver-metrics.ts';

export interface AuditStatsSource {
  stats(): Record<string, BackendStats>;
}

export function registerAuditMetrics(metrics: ApiserverMetrics, source: AuditStatsSource): void {
  const r = [metrics.registry];
  new Counter({
    name: 'apiserver_audit_event_total',
    help: 'Counter of audit events generated and sent to the audit backend.',
    registers: r,
    collect() {
      // Every event goes to every backend, each of which accepts or drops it: any one backend's
      // accepted + dropped is the number generated (the largest, should one have thrown).
      const generated = Math.max(0, ...Object.values(source.stats()).map((s) => s.events + s.dropped));
      this.reset();
      this.inc(generated);
    },
  });
  new Counter({
    name: 'apiserver_audit_error_total',
    help: 'Counter of audit events that failed to be audited properly. Plugin identifies the plugin affected by the error.',
    labelNames: ['plugin'],
    registers: r,
    collect() {
      this.reset();
      for (const [plugin, s] of Object.entries(source.stats())) this.inc({ plugin }, s.errors + s.dropped);
    },
  });
  new Counter({
    name: 'portcullis_audit_events_dropped_total',
    help: 'Audit events a backend dropped because its buffer was full or it was closed (also counted in apiserver_audit_error_total).',
    labelNames: ['plugin'],
    registers: r,
    collect() {
      this.reset();
      for (const [plugin, s] of Object.entries(source.stats())) this.inc({ plugin }, s.dropped);
    },
  });
}
