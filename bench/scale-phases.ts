/**
 * The scale report's phases (while the load client creates; after, while the scheduler and the
 * nodes catch up): readings of the server at each phase boundary and what changed between two.
 */
import { performance } from 'node:perf_hooks';
import { ratesBetween, readMetrics, threadCpu, threadCpuBetween, type PhaseRates } from './scale-metrics.ts';
import type { ServerProcess } from './server-process.ts';
import { round } from './stats.ts';
import type { ThreadHeaps } from './thread-heaps.ts';

/**
 * benchProcess: this process's CPU (load client, simulated nodes, the bind watch): at 100% of a
 * core the bench, not the server, sets the pace. heapsAtEnd: at the phase's end, the API server
 * thread's heap in use (no GC, garbage included) and committed, and the worker thread's (the
 * scheduler's) in use after a full GC of that worker (thread-heaps.ts); null if not read.
 */
export type PhaseReport = PhaseRates & { threads: ReturnType<typeof threadCpuBetween>; benchProcess: { cpuSeconds: number; pctOfOneCore: number }; heapsAtEnd: ThreadHeaps | null };

export function phaseSampler(server: ServerProcess) {
  const sample = async () => ({ metrics: await readMetrics(server.target, () => performance.now()).catch(() => null), threads: threadCpu(server.pid), bench: process.cpuUsage(), heaps: await server.heaps() });
  type Sample = Awaited<ReturnType<typeof sample>>;
  const phaseOf = (a: Sample, b: Sample): PhaseReport | null => {
    if (!a.metrics || !b.metrics) return null;
    const seconds = (b.metrics.at - a.metrics.at) / 1000;
    const bench = (b.bench.user + b.bench.system - a.bench.user - a.bench.system) / 1e6;
    return { ...ratesBetween(a.metrics, b.metrics), threads: threadCpuBetween(a.threads, b.threads, seconds), benchProcess: { cpuSeconds: round(bench, 1), pctOfOneCore: round((bench / seconds) * 100, 1) }, heapsAtEnd: b.heaps };
  };
  return { sample, phaseOf };
}
