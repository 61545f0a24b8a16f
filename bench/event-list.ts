/**
 * Lists of Events through the watch cache on SQLite (EVL, issue 12): since 94d8a41 Events are not
 * cached and their lists go to the store. Measures, per list, wall time, process CPU, the longest event-loop
 * block (perf_hooks monitorEventLoopDelay max) and the heap reached during it above the heap after
 * a GC before it (sampled every millisecond the loop gets a turn and at the end: a lower bound of
 * the peak when the list never yields), for `kubectl describe pod`'s selector list (involvedObject.name=X,
 * no limit: one match) and `kubectl get events -A` (everything, no limit).
 *
 * The store and cache modules come from BENCH_TREE (default: this tree), so another commit's
 * archive can be measured the same way (`git archive 796ad0e | tar -x -C /tmp/x` with
 * node_modules linked). The cache is told Events are uncached (a tree before 94d8a41 ignores it
 * and caches them). BENCH_STORE=etcd: the same on one etcd member (Debian's etcd) instead of SQLite.
 * Usage: node --expose-gc bench/event-list.ts [events] [rounds]
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Store } from '../src/storage/types.ts';
import { builtinPrefix } from '../src/api/registry/resource-def.ts';
import { startEtcd } from '../test/helpers/etcd.ts';

const N = Number(process.argv[2] ?? 50_000);
const ROUNDS = Number(process.argv[3] ?? 3);
const TREE = resolve(process.env.BENCH_TREE ?? join(import.meta.dirname, '..'));
const PREFIX = builtinPrefix('', 'events');
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const { openSqliteStore } = (await import(join(TREE, 'src/storage/sqlite.ts'))) as typeof import('../src/storage/sqlite.ts');
const { createWatchCache } = (await import(join(TREE, 'src/storage/watch-cache.ts'))) as typeof import('../src/storage/watch-cache.ts');
const { openEtcdStore } = (await import(join(TREE, 'src/storage/etcd/etcd-store.ts'))) as typeof import('../src/storage/etcd/etcd-store.ts');
const { createEtcdClient } = (await import(join(TREE, 'src/storage/etcd/etcd-client.ts'))) as typeof import('../src/storage/etcd/etcd-client.ts');
const ON_ETCD = process.env.BENCH_STORE === 'etcd';

/** A Scheduled Event as the scheduler writes it (scheduler/pod-status.ts podEvent), core/v1 shape as stored. */
function event(i: number): object {
  const ns = `ns-${i % 50}`;
  const pod = `pod-${i}`;
  return {
    kind: 'Event',
    apiVersion: 'v1',
    metadata: { name: `${pod}.18${i.toString(16).padStart(14, '0')}`, namespace: ns, uid: `0b6c1f0e-${String(i).padStart(4, '0')}-4a51-9d3c-2f7e8a1b5c${String(i % 100).padStart(2, '0')}`, creationTimestamp: '2026-12-07T23:00:00Z', managedFields: [{ manager: 'kube-scheduler', operation: 'Update', apiVersion: 'events.k8s.io/v1', time: '2026-12-07T23:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:action': {}, 'f:eventTime': {}, 'f:note': {}, 'f:reason': {}, 'f:regarding': {}, 'f:reportingController': {}, 'f:reportingInstance': {}, 'f:type': {} } }] },
    involvedObject: { kind: 'Pod', namespace: ns, name: pod, uid: `5d1e7c3a-${String(i).padStart(4, '0')}-4f0b-8e2d-6a9c0b1d2e${String(i % 100).padStart(2, '0')}`, apiVersion: 'v1', resourceVersion: String(1000 + i) },
    reason: 'Scheduled',
    message: `Successfully assigned ${ns}/${pod} to sim-${i % 5000}`,
    source: {},
    firstTimestamp: null,
    lastTimestamp: null,
    type: 'Normal',
    eventTime: '2026-12-07T23:00:00.123456Z',
    action: 'Binding',
    reportingComponent: 'default-scheduler',
    reportingInstance: 'default-scheduler-portcullis',
  };
}

interface Figures {
  ms: number;
  cpuMs: number;
  blockMs: number;
  heapMiB: number;
  items: number;
}

async function measure(list: () => Promise<{ items: unknown[] }>): Promise<Figures> {
  gc!();
  const base = getHeapStatistics().used_heap_size;
  let peak = base;
  // A 1 ms timer, not a setImmediate chain (which would spin the loop while it waits for I/O),
  // and V8's heap figure alone (process.memoryUsage() reads the RSS too).
  const used = () => getHeapStatistics().used_heap_size;
  const sample = () => {
    peak = Math.max(peak, used());
  };
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  // The histogram counts from its timer's second tick on: let it tick before the list starts.
  await new Promise((r) => setTimeout(r, 20));
  const sampler = setInterval(sample, 1);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const res = await list();
  const c = process.cpuUsage(c0);
  const ms = performance.now() - t0;
  sample();
  clearInterval(sampler);
  // One more timer tick so a block that ended just now is in the histogram.
  await new Promise((r) => setTimeout(r, 5));
  h.disable();
  return { ms, cpuMs: (c.user + c.system) / 1000, blockMs: h.max / 1e6, heapMiB: (peak - base) / 2 ** 20, items: res.items.length };
}

const dir = mkdtempSync(join(tmpdir(), 'evl-bench-'));
const etcd = ON_ETCD ? await startEtcd(1) : undefined;
try {
  const inner: Store = etcd
    ? await openEtcdStore({ client: createEtcdClient({ servers: etcd.servers }), prefix: '/evl' })
    : openSqliteStore({ path: join(dir, 'db.sqlite'), durability: 'normal' });
  for (let i = 0; i < N; i += 1000) {
    const writes: Promise<unknown>[] = [];
    for (let j = i; j < Math.min(N, i + 1000); j++) {
      const e = event(j) as { metadata: { namespace: string; name: string } };
      writes.push(inner.create(`${PREFIX}${e.metadata.namespace}/${e.metadata.name}`, e));
    }
    await Promise.all(writes);
  }
  const cache: Store = createWatchCache(inner, { uncached: [PREFIX] } as never);
  await cache.list(builtinPrefix('', 'pods'), { limit: 1 }); // primed
  const target = `pod-${Math.floor(N / 2)}`;
  const selector = (v: unknown) => (v as { involvedObject?: { name?: string } }).involvedObject?.name === target;
  const cases: [string, () => Promise<{ items: unknown[] }>][] = [
    ['selector (describe pod)', () => cache.list(PREFIX, { predicate: selector })],
    ['unfiltered (get events -A)', () => cache.list(PREFIX)],
  ];
  console.log(`tree ${TREE}, ${N} Events on ${etcd ? 'etcd' : 'SQLite'}`);
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, run] of cases) {
      const f = await measure(run);
      console.log(`  round ${r} ${name}: ${f.items} items, ${f.ms.toFixed(0)} ms (process CPU ${f.cpuMs.toFixed(0)} ms), longest block ${f.blockMs.toFixed(0)} ms, heap +${f.heapMiB.toFixed(1)} MiB`);
    }
  }
  await cache.close();
  await inner.close();
} finally {
  await etcd?.stop();
  rmSync(dir, { recursive: true, force: true });
}
