/**
 * Memory per pod of the API server (issue 12: 150,000 pods in 4 GiB), in-process: a control plane
 * without controllers or scheduler (bench/in-process-dispatch.ts) gets, per pod, the four writes a
 * pod of the scale bench costs (create, pods/binding, the Scheduled Event, the kubelet's
 * pods/status to Running) in batches; after each batch a full GC, then the heap in use and the
 * resident size. The figure per pod is the difference between batches, so the fixed cost of the
 * process drops out. Memory, unlike throughput, means something on a shared machine.
 * Usage: node --expose-gc bench/pod-memory.ts [pods] [batch]
 *   BENCH_HEAP_SNAPSHOT=FILE also writes a heap snapshot at the end (bench/heap-summary.ts reads it).
 *   BENCH_POD_MEMORY_WATCH=1 keeps a JSON watch of the pods open and drained (the shared JSON
 *   encodings are then made as a watching scheduler or kubelet makes them).
 *   BENCH_POD_MEMORY_HISTORY=EVENTS,BYTES bounds the watch cache's recent events across resources
 *   (historyEvents, historyBytes) instead of the defaults: two runs, default and e.g. 100,1000000,
 *   give what the history holds of the heap. Each sample says how many events it holds and the JSON
 *   bytes they account for. Measured (MEM3, 20,000-40,000 pods): the default history fills its
 *   128 MiB of JSON at ~17,000 pods (~69,000 events) and then holds ~30 MiB of heap, older versions
 *   sharing most of their members with the current ones; heap per pod is ~5.2 KB either way once full.
 */
import { writeHeapSnapshot } from 'node:v8';
import { call, read, watchHistoryOf, withControlPlane } from './in-process-dispatch.ts';
import { listPrefix } from '../src/api/registry/resource-def.ts';
import { apiObjectJson } from '../src/server/rest/serialize.ts';
import type { K8sObject as StoredK8sObject } from '../src/server/rest/objects.ts';
import { podBody } from './scale.ts';
import { podEvent } from '../src/cluster/scheduler/pod-status.ts';
import { runningStatus } from '../src/cluster/sim/pod-status.ts';
import type { K8sObject } from '../src/cluster/client/types.ts';

const TOTAL = Number(process.argv[2] ?? 20_000);
const BATCH = Number(process.argv[3] ?? 5_000);
const NS = 'bench-scale';
const NODES = 200;
const CONCURRENCY = 16;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

interface Sample {
  pods: number;
  heapUsedMiB: number;
  /** What V8 holds for its heap (used + free space it keeps): the part of RSS the heap is. */
  heapTotalMiB: number;
  rssMiB: number;
  externalMiB: number;
  /** The watch cache's recent events (watch-history.ts): how many, and the JSON bytes they account for. */
  historyEvents?: number;
  historyMiB?: number;
}

const mib = (b: number): number => Math.round((b / 1048576) * 10) / 10;

function sample(pods: number, store: unknown): Sample {
  gc!();
  gc!();
  const m = process.memoryUsage();
  const h = watchHistoryOf(store);
  return { pods, heapUsedMiB: mib(m.heapUsed), heapTotalMiB: mib(m.heapTotal), rssMiB: mib(m.rss), externalMiB: mib(m.external), historyEvents: h?.length, historyMiB: h && mib(h.totalBytes) };
}

async function pool(from: number, to: number, run: (i: number) => Promise<unknown>): Promise<void> {
  let next = from;
  const worker = async () => {
    while (next < to) await run(next++);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

const history = process.env.BENCH_POD_MEMORY_HISTORY?.split(',').map(Number);
const watchCache = history ? { historyEvents: history[0], historyBytes: history[1] } : undefined;

await withControlPlane(async (ctx) => {
  await call(ctx, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  await call(ctx, 'POST', `/api/v1/namespaces/${NS}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } });
  for (let n = 0; n < NODES; n++) await call(ctx, 'POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: `sim-${n}` } });
  if (process.env.BENCH_POD_MEMORY_WATCH === '1') {
    // What a JSON watch of the pods does per event (watch-encoding.ts): the shared encoding.
    const def = ctx.registry.get('', 'v1', 'pods')!;
    ctx.store.watch<StoredK8sObject>(listPrefix(def, NS), ctx.store.currentRevision(), {
      onEvent: (e) => void apiObjectJson(def, { key: e.key, value: e.value, createRevision: e.createRevision, modRevision: e.revision }),
      onError: (err) => process.stderr.write(`[pod-memory] watch ended: ${err.message}\n`),
    });
  }
  const base = Date.parse('2026-01-01T00:00:00Z');
  const samples: Sample[] = [sample(0, ctx.store)];
  for (let from = 0; from < TOTAL; from += BATCH) {
    const to = Math.min(TOTAL, from + BATCH);
    const name = (i: number) => `p-${i}`;
    await pool(from, to, (i) => call(ctx, 'POST', `/api/v1/namespaces/${NS}/pods`, podBody(i), 'application/json', 'scale'));
    await pool(from, to, async (i) => {
      const pod = await read<K8sObject>(ctx, `/api/v1/namespaces/${NS}/pods/${name(i)}`);
      const binding = { apiVersion: 'v1', kind: 'Binding', metadata: { name: name(i), namespace: NS, uid: pod.metadata.uid }, target: { apiVersion: 'v1', kind: 'Node', name: `sim-${i % NODES}` } };
      await call(ctx, 'POST', `/api/v1/namespaces/${NS}/pods/${name(i)}/binding`, binding, 'application/json', 'kube-scheduler');
      const e = podEvent(pod as never, { type: 'Normal', reason: 'Scheduled', action: 'Binding', message: `Successfully assigned ${NS}/${name(i)} to sim-${i % NODES}`, component: 'default-scheduler', instance: 'default-scheduler-bench', now: base + i });
      await call(ctx, 'POST', `/apis/events.k8s.io/v1/namespaces/${NS}/events`, e, 'application/json', 'kube-scheduler');
      const bound = await read<K8sObject>(ctx, `/api/v1/namespaces/${NS}/pods/${name(i)}`);
      const status = { status: runningStatus(bound, { podIP: '10.0.0.1', hostIP: '10.1.0.1' }, base + i) };
      await call(ctx, 'PATCH', `/api/v1/namespaces/${NS}/pods/${name(i)}/status`, status, 'application/merge-patch+json', 'sim');
    });
    samples.push(sample(to, ctx.store));
    process.stderr.write(`[pod-memory] ${JSON.stringify(samples[samples.length - 1])}\n`);
  }
  const first = samples[1]!;
  const last = samples[samples.length - 1]!;
  const per = (k: 'heapUsedMiB' | 'heapTotalMiB' | 'rssMiB' | 'externalMiB') => (last.pods > first.pods ? Math.round(((last[k] - first[k]) * 1048576) / (last.pods - first.pods)) : null);
  const out = { bench: 'pod-memory', pods: TOTAL, batch: BATCH, samples, bytesPerPod: { heapUsed: per('heapUsedMiB'), heapTotal: per('heapTotalMiB'), rss: per('rssMiB'), external: per('externalMiB') } };
  if (process.env.BENCH_HEAP_SNAPSHOT) {
    gc!();
    writeHeapSnapshot(process.env.BENCH_HEAP_SNAPSHOT);
  }
  console.log(JSON.stringify(out, null, 1));
}, { watchCache });
