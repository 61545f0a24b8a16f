/**
 * CPU per create of the etcd storage path alone, in this process (issue 18): creates into the
 * etcd Store behind the watch cache (one Txn, its watch event, the cache), at a fixed count and
 * concurrency, timed with process.cpuUsage, which holds on a shared machine where rates do not.
 * With BENCH_OLD_ROOT=<a copy of the tree> (e.g. `git archive HEAD | tar -x -C /tmp/old`) the
 * copy's storage code runs in alternating rounds beside this tree's against the same etcd, so
 * old and new are compared in one process under the same load.
 *
 * Usage: node bench/etcd-store-cpu.ts. Knobs: BENCH_CREATES (2000 per round), BENCH_CONNECTIONS
 * (20), BENCH_ROUNDS (6), BENCH_OLD_ROOT, BENCH_CPU_PROF=<file> (a V8 profile of this tree's rounds).
 * Run with `node --max-semi-space-size=1` for a finer count of collections.
 * Prints JSON: per tree the CPU microseconds per create of each round and their median, and the
 * young-generation collections per 1000 creates (the garbage the path makes).
 */
import { writeFileSync } from 'node:fs';
import { PerformanceObserver, constants as perfConstants, type PerformanceEntry } from 'node:perf_hooks';
import { Session } from 'node:inspector/promises';
import { resolve } from 'node:path';
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

/** Young-generation collections so far: how much garbage the creates make. */
let scavenges = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if ((e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) scavenges++;
}).observe({ entryTypes: ['gc'] });

let seq = 0;
async function round(tree: Tree): Promise<{ cpu: number; scavengesPer1000: number }> {
  const stop = seq + CREATES;
  const gc0 = scavenges;
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
  await new Promise((r) => setImmediate(r)); // the observer's entries of this round are in
  return { cpu: Math.round((used.user + used.system) / CREATES), scavengesPer1000: Math.round(((scavenges - gc0) * 10000) / CREATES) / 10 };
}

async function main(): Promise<void> {
  const etcd = await startEtcd(1);
  const trees: Tree[] = [];
  const session = PROF ? new Session() : undefined;
  try {
    trees.push(await openTree('new', process.cwd(), etcd.servers));
    if (env.BENCH_OLD_ROOT) trees.push(await openTree('old', env.BENCH_OLD_ROOT, etcd.servers));
    for (const t of trees) await round(t); // warm-up
    if (session) {
      session.connect();
      await session.post('Profiler.enable');
    }
    const results: Record<string, number[]> = Object.fromEntries(trees.map((t) => [t.name, []]));
    const gcs: Record<string, number[]> = Object.fromEntries(trees.map((t) => [t.name, []]));
    for (let i = 0; i < ROUNDS; i++) {
      for (const t of i % 2 === 0 ? trees : [...trees].reverse()) {
        if (session && t.name === 'new') await session.post('Profiler.start');
        const r = await round(t);
        results[t.name].push(r.cpu);
        gcs[t.name].push(r.scavengesPer1000);
        if (session && t.name === 'new') {
          const { profile } = await session.post('Profiler.stop');
          if (i === ROUNDS - 1) writeFileSync(PROF!, JSON.stringify(profile));
        }
      }
    }
    const median = (v: number[]) => percentile([...v].sort((a, b) => a - b), 50);
    const summary = Object.fromEntries(
      Object.entries(results).map(([k, v]) => [k, { medianCpuMicrosPerCreate: median(v), rounds: v, medianScavengesPer1000Creates: median(gcs[k]), scavengesPer1000Creates: gcs[k] }]),
    );
    console.log(JSON.stringify({ settings: { creates: CREATES, connections: CONNECTIONS, rounds: ROUNDS }, ...summary }, null, 2));
  } finally {
    for (const t of trees) await t.close();
    await etcd.stop();
  }
}

await main();
