/**
 * The scale report's phases (while the load client creates; after, while the scheduler and the
 * nodes catch up): readings of the server at each phase boundary and what changed between two.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { ratesBetween, readMetrics, threadCpu, threadCpuBetween, type MetricsSnapshot, type PhaseRates } from './scale-metrics.ts';
import { worstWindowP99, type SliReport } from './scale-sli.ts';
import type { ServerProcess } from './server-process.ts';
import { round } from './stats.ts';
import type { ThreadHeaps } from './thread-heaps.ts';
import type { RenewalTimes } from '../src/cluster/sim/renewal-timing.ts';

/**
 * benchProcess: this process's CPU (load client, simulated nodes, the bind watch): at 100% of a
 * core the bench, not the server, sets the pace; and its event-loop delay (ms beyond a 10 ms
 * timer): a late simulator renews late by itself. leaseRenewals: where the simulated nodes'
 * renewals spent their time (sim-nodes takeRenewalTimes: due → handed to the client → answered),
 * to set beside the server's own Lease latency (requests) and its event-loop delay. heapsAtEnd: at the phase's end, the API server
 * thread's heap in use (no GC, garbage included) and committed, and the worker thread's (the
 * scheduler's) in use after a full GC of that worker (thread-heaps.ts); null if not read.
 */
export type PhaseReport = PhaseRates & {
  threads: ReturnType<typeof threadCpuBetween>;
  benchProcess: { cpuSeconds: number; pctOfOneCore: number; eventLoopDelayMs: { mean: number; p99: number; max: number } };
  leaseRenewals: RenewalTimes | null;
  heapsAtEnd: ThreadHeaps | null;
};

const LOOP_RESOLUTION_MS = 10;

/** How often /metrics is read between the phase boundaries (upstream's API latency SLI is taken from such readings). */
export const SCRAPE_EVERY_MS = 15_000;

/**
 * The server thread's event-loop delay over (fromAt, toAt] from every /metrics reading in it:
 * prom-client's histogram is reset at each read, so each reading covers the time since the one
 * before. Mean weighted by those times; p99: the worst reading's; max: the largest.
 */
export function loopDelayOver(readings: readonly MetricsSnapshot[], fromAt: number, toAt: number): MetricsSnapshot['loopDelayMs'] {
  const sorted = [...readings].sort((a, b) => a.at - b.at);
  let weighted = 0;
  let time = 0;
  const out = { mean: 0, p99: 0, max: 0 };
  for (let i = 1; i < sorted.length; i++) {
    const r = sorted[i]!;
    if (r.at <= fromAt || r.at > toAt) continue;
    const dt = r.at - sorted[i - 1]!.at;
    weighted += r.loopDelayMs.mean * dt;
    time += dt;
    out.p99 = Math.max(out.p99, r.loopDelayMs.p99);
    out.max = Math.max(out.max, r.loopDelayMs.max);
  }
  out.mean = time > 0 ? round(weighted / time, 1) : 0;
  return out;
}

/** renewals: the simulated nodes' takeRenewalTimes, once they run. */
export function phaseSampler(server: ServerProcess, renewals: () => RenewalTimes | null = () => null) {
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loop.enable();
  const beyond = (ns: number) => round(Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS), 1);
  const takeLoop = () => {
    const out = loop.count > 0 ? { mean: beyond(loop.mean), p99: beyond(loop.percentile(99)), max: beyond(loop.max) } : { mean: 0, p99: 0, max: 0 };
    loop.reset();
    return out;
  };
  // Every reading of /metrics, the phase boundaries' and one every SCRAPE_EVERY_MS between them.
  const readings: MetricsSnapshot[] = [];
  const read = async () => {
    const m = await readMetrics(server.target, () => performance.now()).catch(() => null);
    if (m) readings.push(m);
    return m;
  };
  const scraper = setInterval(() => void read(), SCRAPE_EVERY_MS);
  scraper.unref();
  const sample = async () => ({ metrics: await read(), threads: threadCpu(server.pid), bench: process.cpuUsage(), loop: takeLoop(), renewals: renewals(), heaps: await server.heaps() });
  type Sample = Awaited<ReturnType<typeof sample>>;
  const phaseOf = (a: Sample, b: Sample): PhaseReport | null => {
    if (!a.metrics || !b.metrics) return null;
    const seconds = (b.metrics.at - a.metrics.at) / 1000;
    const bench = (b.bench.user + b.bench.system - a.bench.user - a.bench.system) / 1e6;
    return { ...ratesBetween(a.metrics, b.metrics), serverLoopDelayMs: loopDelayOver(readings, a.metrics.at, b.metrics.at), threads: threadCpuBetween(a.threads, b.threads, seconds), benchProcess: { cpuSeconds: round(bench, 1), pctOfOneCore: round((bench / seconds) * 100, 1), eventLoopDelayMs: b.loop }, leaseRenewals: b.renewals, heapsAtEnd: b.heaps };
  };
  /** Upstream's API call latency SLI over the readings so far (scale-sli.ts). */
  const sli = (): SliReport => worstWindowP99([...readings].sort((a, b) => a.at - b.at));
  return {
    sample,
    phaseOf,
    sli,
    stop: () => {
      clearInterval(scraper);
      loop.disable();
    },
  };
}
