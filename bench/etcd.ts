/**
 * Portcullis on etcd (issue 18): create throughput through the full HTTPS pipeline with the store
 * on etcd, next to raw etcd puts of the same size at the same concurrency, against the same etcd
 * member (Debian's etcd 3.4 on 127.0.0.1), in one run. Goal: >= 50% of raw etcd.
 * BENCH_SCENARIOS=etcd.
 *
 * The raw puts use the fastest client there is, the store's own (etcd-kv-client.ts, gRPC over
 * its own HTTP/2 connection), so the ratio is not flattered by a slow baseline; `clients` in
 * the output says which client each side used. `serverCpuUsPerCreate` is the API server process's CPU per create
 * (user + system), the figure that means something on a shared machine.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createEtcdKv } from '../src/storage/etcd/etcd-kv-client.ts';
import { etcdWorkPerCreate, readEtcdCounters, type EtcdWorkPerCreate } from './etcd-metrics.ts';
import { int } from '../src/storage/etcd/etcd-proto.ts';
import { bytesPrefixEnd } from '../src/storage/etcd/key-mapper.ts';
import { startEtcd } from '../test/helpers/etcd.ts';
import type { LoadResult } from './load.ts';
import { storeCreates, type StoreLoadResult } from './etcd-store-load.ts';
import { runShapes } from './scenarios.ts';
import { spawnServer, type ServerProcess } from './server-process.ts';
import { ratio, round, summarize, type LatencySummary } from './stats.ts';

export interface EtcdBenchOptions {
  connections: number;
  warmupMs: number;
  durationMs: number;
  progress: (msg: string) => void;
  /** BENCH_CPU_PROF: one V8 CPU profile of each server process (etcd-create, sqlite-create). */
  cpuProfDir?: string;
}

export interface RawEtcdResult {
  connections: number;
  puts: number;
  putsPerSec: number;
  valueBytes: number;
  latencyMs: LatencySummary;
  errors: number;
}

export interface EtcdBenchResult {
  /** Which etcd client each side used. */
  clients: { rawEtcd: string; store: string };
  rawEtcd: RawEtcdResult | null;
  /** The etcd Store alone, and behind the watch cache, in this process (no HTTP): the storage layer's share. */
  storeOnly: StoreLoadResult | null;
  portcullisOnEtcd: LoadResult | null;
  /** The same create load on the default SQLite store, in the same run: how much of the gap is etcd's. */
  portcullisOnSqlite: LoadResult | null;
  /** The API server's CPU (user + system) per create, on etcd and on SQLite. */
  serverCpuUsPerCreate: { etcd: number | null; sqlite: number | null };
  /**
   * etcd's own counters around the Portcullis-on-etcd load, per create: gRPC calls by method,
   * puts, puts per WAL fsync (etcd-metrics.ts). One Txn per create and nothing else means the
   * time per create not spent in etcd is the API server's own.
   */
  etcdWorkPerCreate: EtcdWorkPerCreate | null;
  ratios: { createVsRawPut: number | null; etcdVsSqliteCreate: number | null; storeCreateVsRawPut: number | null; cachedStoreCreateVsRawPut: number | null };
  targets: { create50pctOfRawEtcd: boolean | null };
}

/** A stored Namespace as the create scenario writes one, give or take: the same bytes per put. */
const VALUE = Buffer.from(
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'bench-ns-00000000', uid: '00000000-0000-4000-8000-000000000000', creationTimestamp: '2026-01-01T00:00:00Z', labels: { 'kubernetes.io/metadata.name': 'bench-ns-00000000' }, managedFields: [{ manager: 'bench', operation: 'Update', apiVersion: 'v1', time: '2026-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': {} } } }] },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  }),
);

const CLIENT = 'etcd-kv-client.ts (gRPC over its own HTTP/2 connection, h2-session.ts)';

/** Microseconds of server CPU per request, from the load's CPU share and rate. */
function cpuPerRequest(r: LoadResult | null): number | null {
  return r?.rpsPerServerCore ? round(1e6 / r.rpsPerServerCore, 0) : null;
}

/** Closed-loop puts: `connections` workers, each one put at a time (as each HTTP connection does one create). */
async function rawPuts(servers: string[], o: EtcdBenchOptions): Promise<RawEtcdResult> {
  const client = createEtcdKv({ servers });
  try {
    let phase: 'warmup' | 'measure' | 'stop' = 'warmup';
    const latencies: number[] = [];
    let errors = 0;
    let n = 0;
    const worker = async (w: number) => {
      while (phase !== 'stop') {
        const t0 = performance.now();
        try {
          await client.put({ key: Buffer.from(`/bench/raw/${w}/${n++}`), value: VALUE });
          if (phase === 'measure') latencies.push(performance.now() - t0);
        } catch {
          if (phase === 'measure') errors++;
        }
      }
    };
    const workers = Array.from({ length: o.connections }, (_, i) => worker(i));
    await new Promise((r) => setTimeout(r, o.warmupMs));
    phase = 'measure';
    const start = performance.now();
    await new Promise((r) => setTimeout(r, o.durationMs));
    const elapsed = performance.now() - start;
    phase = 'stop';
    await Promise.all(workers);
    return {
      connections: o.connections,
      puts: latencies.length,
      putsPerSec: round((latencies.length / elapsed) * 1000, 1),
      valueBytes: VALUE.length,
      latencyMs: summarize(latencies),
      errors,
    };
  } finally {
    client.close();
  }
}

/**
 * Wait until the server's start-up work is over: the controller manager's lease win (a client
 * certificate minted per controller), the first syncs and start-up writes take a second or more
 * of CPU after the server answers (~55-60% of a core for 1.5-2.5 s on this loaded machine, on
 * either store). The load's warm-up did not always cover it, and since the worker thread's CPU is
 * the process's, it landed in the measured window's CPU per create, by how far each store's start
 * had got. Settled: two consecutive 250 ms windows under 10% of a core (at most 20 s).
 */
async function settle(server: ServerProcess, progress: (msg: string) => void): Promise<void> {
  const started = performance.now();
  let quiet = 0;
  let prev = await server.cpuMicros();
  while (quiet < 2 && performance.now() - started < 20_000) {
    await new Promise((r) => setTimeout(r, 250));
    const now = await server.cpuMicros();
    quiet = now - prev < 25_000 ? quiet + 1 : 0;
    prev = now;
  }
  if (quiet < 2) progress('  the server was still busy 20 s after start: measuring anyway');
}

/** The create scenario against a fresh Portcullis process with these extra control plane options. */
async function createLoad(name: string, dataDir: string, extra: Record<string, unknown>, o: EtcdBenchOptions, around?: () => Promise<() => Promise<void>>): Promise<LoadResult | null> {
  mkdirSync(dataDir, { recursive: true });
  // Components in their worker thread, as `portcullis up` runs them: on the API server's thread,
  // the controller manager's start on winning its lease (a client certificate minted per
  // controller: RSA keygen and a forge signature each, ~3.4 s of CPU in one piece on this machine)
  // stopped every request for seconds, inside the measured window on etcd (issue 18).
  const server = await spawnServer('portcullis', { dataDir, env: { BENCH_CONTROL_PLANE: JSON.stringify({ componentsInWorker: true, ...extra }) }, cpuProfDir: o.cpuProfDir });
  try {
    const profile = o.cpuProfDir ? async () => {
      const save = await server.profile();
      return (scenario: string) => save(`${name}-${scenario}`);
    } : undefined;
    // Started once the server is up and settled: its own start-up work is not the load's.
    await settle(server, o.progress);
    const end = await around?.();
    const r = await runShapes(server.target, { connections: o.connections, warmupMs: o.warmupMs, durationMs: o.durationMs, listSize: 0, createNamespaces: true, serverCpuMicros: () => server.cpuMicros(), progress: o.progress, only: new Set(['create']), profile });
    await end?.();
    return r.create ?? null;
  } finally {
    await server.stop();
  }
}

/** The create scenario's objects (scenarios.ts: ConfigMaps in bench-create), counted in etcd, and etcd's counters. */
async function etcdWork(servers: string[]) {
  const client = createEtcdKv({ servers });
  try {
    const key = Buffer.from('/registry/configmaps/bench-create/');
    const res = await client.range({ key, range_end: bytesPrefixEnd(key), count_only: true });
    return { creates: int(res.count), counters: await readEtcdCounters(servers[0]) };
  } finally {
    client.close();
  }
}

export async function runEtcdBench(tmp: string, o: EtcdBenchOptions): Promise<EtcdBenchResult> {
  const etcd = await startEtcd(1);
  try {
    o.progress(`etcd: raw puts of ${VALUE.length} bytes, ${o.connections} at a time`);
    const raw = await rawPuts(etcd.servers, o);
    o.progress(`  ${raw.putsPerSec} puts/s`);
    o.progress('etcd: creates into the etcd Store and through the watch cache, in process');
    const storeOnly = await storeCreates(etcd.servers, JSON.parse(VALUE.toString()) as object, o);
    o.progress(`  ${storeOnly.etcdStoreCreatesPerSec} / ${storeOnly.watchCacheCreatesPerSec} creates/s`);
    o.progress('etcd: create through Portcullis with the store on etcd');
    const seen: { work?: EtcdWorkPerCreate } = {};
    const create = await createLoad('etcd', join(tmp, 'portcullis-etcd'), { etcd: { servers: etcd.servers } }, o, async () => {
      const before = await etcdWork(etcd.servers);
      return async () => {
        const after = await etcdWork(etcd.servers);
        seen.work = etcdWorkPerCreate(before.counters, after.counters, after.creates - before.creates);
      };
    });
    const work = seen.work ?? null;
    if (work) o.progress(`  etcd per create: ${JSON.stringify(work.callsPerCreate)} calls, ${work.putsPerFsync} puts per fsync`);
    o.progress('etcd: the same create load on the SQLite store');
    const sqlite = await createLoad('sqlite', join(tmp, 'portcullis-sqlite'), {}, o);
    const vs = create ? ratio(create.rps, raw.putsPerSec) : null;
    const vsSqlite = create && sqlite ? ratio(create.rps, sqlite.rps) : null;
    const ratios = {
      createVsRawPut: vs,
      etcdVsSqliteCreate: vsSqlite,
      storeCreateVsRawPut: ratio(storeOnly.etcdStoreCreatesPerSec, raw.putsPerSec),
      cachedStoreCreateVsRawPut: ratio(storeOnly.watchCacheCreatesPerSec, raw.putsPerSec),
    };
    const clients = { rawEtcd: CLIENT, store: CLIENT };
    const serverCpuUsPerCreate = { etcd: cpuPerRequest(create), sqlite: cpuPerRequest(sqlite) };
    return { clients, rawEtcd: raw, storeOnly, serverCpuUsPerCreate, etcdWorkPerCreate: work, portcullisOnEtcd: create, portcullisOnSqlite: sqlite, ratios, targets: { create50pctOfRawEtcd: vs === null ? null : vs >= 0.5 } };
  } finally {
    await etcd.stop();
  }
}
