/**
 * CPU per create of the etcd storage path alone, in this process (issue 18): creates into the
 * etcd Store behind the watch cache (one Txn, its watch event, the cache), at a fixed count and
 * concurrency, timed with process.cpuUsage, which holds on a shared machine where rates do not.
 * With BENCH_OLD_ROOT=<a copy of the tree> (e.g. `git archive HEAD | tar -x -C /tmp/old`) the
 * copy's storage code runs in alternating rounds beside this tree's against the same etcd, so
 * old and new are compared in one process under the same load.
 *
 * With BENCH_SQLITE=1 the SQLite store (durability full, as the server opens it) behind its own
 * watch cache runs in the same alternation: what the storage path alone costs more on etcd.
 *
 * Usage: node bench/etcd-store-cpu.ts. Knobs: BENCH_CREATES (2000 per round), BENCH_CONNECTIONS
 * (20), BENCH_ROUNDS (6), BENCH_OLD_ROOT, BENCH_SQLITE, BENCH_CPU_PROF=<file> (a V8 profile of this
 * tree's rounds), BENCH_ALLOC=1 (two more rounds per tree, in both orders, under V8's sampling heap
 * profiler: the bytes each create allocates, garbage included, which like the syscall counts hold
 * under load).
 * Run with `node --max-semi-space-size=1` for a finer count of collections.
 * Prints JSON, per tree and round: CPU microseconds per create (and their median) and the system
 * part of them (syscalls: the loopback TCP to etcd, SQLite's WAL); young-generation collections
 * per 1000 creates (the garbage the path makes); the etcd process's own CPU per create
 * (/proc/PID/stat, 10 ms ticks); this process's read/write syscalls per create (/proc/self/io).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { PerformanceObserver, constants as perfConstants, type PerformanceEntry } from 'node:perf_hooks';
import { Session } from 'node:inspector/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startEtcd } from '../test/helpers/etcd.ts';
import { percentile } from './stats.ts';

const env = process.env;
const CREATES = Number(env.BENCH_CREATES ?? 2000);
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 20);
const ROUNDS = Number(env.BENCH_ROUNDS ?? 6);
const PROF = env.BENCH_CPU_PROF;

interface Tree {
  name: string;
  create(key: string, value: object): Promise<unknown>;
  close(): Promise<void>;
}

/** A ConfigMap about as the API server stores one. */
function configMap(n: number): object {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: `c-${n}`,
      namespace: 'bench',
      uid: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
      creationTimestamp: '2026-01-01T00:00:00Z',
      managedFields: [{ manager: 'bench', operation: 'Update', apiVersion: 'v1', time: '2026-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { '.': {}, 'f:k': {} } } }],
    },
    data: { k: 'v'.repeat(64) },
  };
}

async function openTree(name: string, root: string, servers: string[]): Promise<Tree> {
  const at = (p: string) => pathToFileURL(resolve(root, p)).href;
  const { createEtcdClient, createMemberClients } = await import(at('src/storage/etcd/etcd-client.ts'));
  const { openEtcdStore } = await import(at('src/storage/etcd/etcd-store.ts'));
  const { createWatchCache } = await import(at('src/storage/watch-cache.ts'));
  // Each tree under its own --etcd-prefix: its watch cache sees its own writes only.
  const store = await openEtcdStore({ client: createEtcdClient({ servers }), watchClients: createMemberClients({ servers }), prefix: `/${name}` });
  const cache = createWatchCache(store);
  await cache.list('/registry/core/configmaps/bench/', { limit: 1 }); // primed
  return { name, create: (key, value) => cache.create(key, value), close: () => cache.close() };
}

/** This tree's SQLite store behind its watch cache, in a temporary directory. */
async function openSqliteTree(): Promise<Tree> {
  const { openSqliteStore } = await import('../src/storage/sqlite.ts');
  const { createWatchCache } = await import('../src/storage/watch-cache.ts');
  const dir = mkdtempSync(join(tmpdir(), 'etcd-store-cpu-'));
  const cache = createWatchCache(openSqliteStore({ path: join(dir, 'state.db'), durability: 'full' }));
  await cache.list('/registry/core/configmaps/bench/', { limit: 1 });
  return {
    name: 'sqlite',
    create: (key, value) => cache.create(key, value),
    close: async () => {
      await cache.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Young-generation collections so far: how much garbage the creates make. */
let scavenges = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if ((e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) scavenges++;
}).observe({ entryTypes: ['gc'] });

/** A process's user+system CPU in microseconds (/proc/PID/stat, clock ticks of 10 ms). */
function processCpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10_000; // utime, stime (fields 14 and 15)
}

/** This process's read and write syscalls so far (/proc/self/io syscr, syscw). */
function syscalls(): { r: number; w: number } {
  const io = readFileSync('/proc/self/io', 'utf8');
  return { r: Number(/syscr: (\d+)/.exec(io)![1]), w: Number(/syscw: (\d+)/.exec(io)![1]) };
}

let seq = 0;
async function round(tree: Tree, etcdPid: number | undefined): Promise<{ cpu: number; system: number; etcdCpu: number; scavengesPer1000: number; reads: number; writes: number }> {
  const stop = seq + CREATES;
  const gc0 = scavenges;
  const etcd0 = etcdPid ? processCpuMicros(etcdPid) : 0;
  const sys0 = syscalls();
  const start = process.cpuUsage();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (seq < stop) {
        const n = seq++;
        // Names in key order: the cache's sorted insert stays an append, not what is measured here.
        await tree.create(`/registry/core/configmaps/bench/c-${String(n).padStart(8, '0')}`, configMap(n));
      }
    }),
  );
  const used = process.cpuUsage(start);
  const sys1 = syscalls();
  const etcdCpu = etcdPid ? Math.round((processCpuMicros(etcdPid) - etcd0) / CREATES) : 0;
  await new Promise((r) => setImmediate(r)); // the observer's entries of this round are in
  const per = (n: number) => Math.round((n * 100) / CREATES) / 100;
  return { cpu: Math.round((used.user + used.system) / CREATES), system: Math.round(used.system / CREATES), etcdCpu, reads: per(sys1.r - sys0.r), writes: per(sys1.w - sys0.w), scavengesPer1000: Math.round(((scavenges - gc0) * 10000) / CREATES) / 10 };
}

/** Bytes allocated per create over one round (V8's sampling heap profiler, objects collected since counted too). */
async function allocatedPerCreate(tree: Tree): Promise<number> {
  const s = new Session();
  s.connect();
  try {
    await s.post('HeapProfiler.enable');
    await s.post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    await round(tree, undefined);
    const { profile } = await s.post('HeapProfiler.stopSampling');
    let bytes = 0;
    const walk = (n: { selfSize: number; children: (typeof n)[] }) => {
      bytes += n.selfSize;
      for (const c of n.children) walk(c);
    };
    walk(profile.head);
    return Math.round(bytes / CREATES);
  } finally {
    s.disconnect();
  }
}

async function main(): Promise<void> {
  const etcd = await startEtcd(1);
  const trees: Tree[] = [];
  const session = PROF ? new Session() : undefined;
  try {
    trees.push(await openTree('new', process.cwd(), etcd.servers));
    if (env.BENCH_OLD_ROOT) trees.push(await openTree('old', env.BENCH_OLD_ROOT, etcd.servers));
    if (env.BENCH_SQLITE) trees.push(await openSqliteTree());
    const etcdPid = etcd.members[0].process?.pid;
    for (const t of trees) await round(t, etcdPid); // warm-up
    if (session) {
      session.connect();
      await session.post('Profiler.enable');
    }
    const results: Record<string, number[]> = Object.fromEntries(trees.map((t) => [t.name, []]));
    const gcs: Record<string, number[]> = Object.fromEntries(trees.map((t) => [t.name, []]));
    const etcdCpu: Record<string, number[]> = Object.fromEntries(trees.map((t) => [t.name, []]));
    const system: Record<string, number[]> = Object.fromEntries(trees.map((t) => [t.name, []]));
    const rw: Record<string, string[]> = Object.fromEntries(trees.map((t) => [t.name, []]));
    for (let i = 0; i < ROUNDS; i++) {
      for (const t of i % 2 === 0 ? trees : [...trees].reverse()) {
        if (session && t.name === 'new') await session.post('Profiler.start');
        const r = await round(t, etcdPid);
        results[t.name].push(r.cpu);
        etcdCpu[t.name].push(r.etcdCpu);
        system[t.name].push(r.system);
        rw[t.name].push(`${r.reads}/${r.writes}`);
        gcs[t.name].push(r.scavengesPer1000);
        if (session && t.name === 'new') {
          const { profile } = await session.post('Profiler.stop');
          if (i === ROUNDS - 1) writeFileSync(PROF!, JSON.stringify(profile));
        }
      }
    }
    // Two rounds per tree, in one order then the other: one round of the same code varies by about
    // 0.5 KB a create, and the tree measured second came out higher.
    const allocated: Record<string, number> = {};
    if (env.BENCH_ALLOC) {
      for (const t of [...trees, ...[...trees].reverse()]) {
        allocated[t.name] = (allocated[t.name] ?? 0) + (await allocatedPerCreate(t)) / 2;
      }
      for (const t of trees) allocated[t.name] = Math.round(allocated[t.name]);
    }
    const median = (v: number[]) => percentile([...v].sort((a, b) => a - b), 50);
    const summary = Object.fromEntries(
      Object.entries(results).map(([k, v]) => [k, { medianCpuMicrosPerCreate: median(v), rounds: v, ...(env.BENCH_ALLOC ? { allocatedBytesPerCreate: allocated[k] } : {}), medianScavengesPer1000Creates: median(gcs[k]), scavengesPer1000Creates: gcs[k], systemCpuMicrosPerCreate: system[k], etcdCpuMicrosPerCreate: etcdCpu[k], readsWritesPerCreate: rw[k] }]),
    );
    console.log(JSON.stringify({ settings: { creates: CREATES, connections: CONNECTIONS, rounds: ROUNDS }, ...summary }, null, 2));
  } finally {
    for (const t of trees) await t.close();
    await etcd.stop();
  }
}

await main();
