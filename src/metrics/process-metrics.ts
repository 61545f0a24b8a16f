/**
 * process_* and nodejs_* metrics (prom-client's default metrics). They describe the process, not
 * one API server, and prom-client's collectors start observers (event-loop delay, GC) for each
 * registry they are given: so there is one registry for them per process, started on first use,
 * whose text every server's `/metrics` appends to its own.
 */
import { Registry, collectDefaultMetrics } from 'prom-client';

let shared: Registry | undefined;

export function processRegistry(): Registry {
  if (!shared) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared });
  }
  return shared;
}
