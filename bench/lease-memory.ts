/**
 * What the watch cache's history holds of the API server's heap for Lease renewals (issue 12: at
 * 5,000 nodes the kubelets renew 500 Leases a second, the most frequent write at full size), in
 * process: a control plane without controllers (bench/in-process-dispatch.ts), N Leases created,
 * then R renewals as the simulated kubelet makes them (merge patch of spec.renewTime), 16 in
 * flight; a full GC and the heap in use after each quarter, with the history's events and the JSON
 * bytes they account for. The watch cache's clock is simulated at RATE renewals a second, so its
 * time window (historyWindowMs, upstream's eventFreshDuration) sees the full-size rate however
 * fast this machine runs them. Memory, unlike throughput, means something on a shared machine.
 * Usage: node --expose-gc bench/lease-memory.ts [renewals=100000] [leases=5000] [rate=500]
 *   BENCH_LEASE_MEMORY_WINDOW_MS=0 turns the window off (the bounds alone size the history).
 * Measured (MEM3): 100,000 renewals at 500/s hold 51,200 Lease events, heap 96.9 MiB; window off
 * 102,400 events (54 MiB of JSON), 133.1 MiB; history held to 100 events, ~62 MiB.
 */
import { call, watchHistoryOf, withControlPlane } from './in-process-dispatch.ts';
import { NODE_LEASE_NAMESPACE, leaseObject, microTime } from '../src/cluster/sim/node-template.ts';

const RENEWALS = Number(process.argv[2] ?? 100_000);
const LEASES = Number(process.argv[3] ?? 5_000);
const RATE = Number(process.argv[4] ?? 500);
const WINDOW = process.env.BENCH_LEASE_MEMORY_WINDOW_MS;
const CONCURRENCY = 16;
const T0 = Date.parse('2026-01-01T00:00:00Z');

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const mib = (b: number): number => Math.round((b / 1048576) * 10) / 10;
let simulatedMs = 0;

await withControlPlane(
  async (ctx) => {
    const sample = (renewals: number) => {
      gc!();
      gc!();
      const h = watchHistoryOf(ctx.store);
      return { renewals, heapUsedMiB: mib(process.memoryUsage().heapUsed), historyEvents: h?.length, historyMiB: h && mib(h.totalBytes) };
    };
    await call(ctx, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NODE_LEASE_NAMESPACE } }).catch(() => {}); // may exist
    const path = `/apis/coordination.k8s.io/v1/namespaces/${NODE_LEASE_NAMESPACE}/leases`;
    for (let n = 0; n < LEASES; n++) await call(ctx, 'POST', path, leaseObject({ name: `sim-${n}` }, 40, T0), 'application/json', 'kubelet');
    const samples = [sample(0)];
    let next = 0;
    for (let quarter = 1; quarter <= 4; quarter++) {
      const end = Math.round((quarter * RENEWALS) / 4);
      const renew = async () => {
        while (next < end) {
          const i = next++;
          simulatedMs = (i * 1000) / RATE;
          await call(ctx, 'PATCH', `${path}/sim-${i % LEASES}`, { spec: { renewTime: microTime(T0 + simulatedMs) } }, 'application/merge-patch+json', 'kubelet');
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, renew));
      samples.push(sample(end));
      process.stderr.write(`[lease-memory] ${JSON.stringify(samples[samples.length - 1])}\n`);
    }
    console.log(JSON.stringify({ bench: 'lease-memory', renewals: RENEWALS, leases: LEASES, rate: RATE, windowMs: WINDOW === undefined ? 'default' : Number(WINDOW), samples }, null, 1));
  },
  { watchCache: { now: () => simulatedMs, ...(WINDOW === undefined ? {} : { historyWindowMs: Number(WINDOW) }) } },
);
