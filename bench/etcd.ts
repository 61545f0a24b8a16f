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
 *
 * Three more measurements say what the goal would take on this machine. Raw create Txns
 * (`rawEtcdTxn`): the same load as the Txn every create is (put if create_revision == 0), the
 * ceiling of any create on etcd. The floor (`floorOnEtcd`,
 * etcd-floor.ts): bare fastify over mutual TLS whose create is exactly one etcd create Txn through
 * the same client, under the same load client; Portcullis against it is the pipeline's cost.
 * `cpuUsPerOp` splits each phase's CPU per operation between the server, etcd (/proc/<pid>/stat)
 * and the load client (this process), and `budgetFor50pct` (cpu-split.ts) says what the API
 * server could spend per create for 0.5 of raw puts once etcd's and the client's shares are paid
 * on 2 cores. `apiServersOnEtcd`: creates through 1 and then 2 API servers (no controllers,
 * multi-apiserver.ts) on the same etcd, each against the raw puts: whether a second process
 * uses the core the first one's main thread leaves.
 */
import { mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { CpuMeter, cpuBoundRate, cpuPerOp, ownCpuMicros, processCpuMicros, serverBudget, type CpuPerOp, type ServerBudget } from './cpu-split.ts';
import { createLoads, startApiServers } from './multi-apiserver.ts';
import { createEtcdKv } from '../src/storage/etcd/etcd-kv-client.ts';
import { etcdWorkPerCreate, readEtcdCounters, type EtcdWorkPerCreate } from './etcd-metrics.ts';
import { int } from '../src/storage/etcd/etcd-proto.ts';
import { bytesPrefixEnd } from '../src/storage/etcd/key-mapper.ts';
import { absent } from '../src/storage/etcd/txn.ts';
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
  /** etcd's CPU and this process's (the client's) per put (per Txn in rawEtcdTxn). */
  cpuUsPerPut: CpuPerOp;
}

/** Creates through 1 or 2 API servers (no controllers) on the bench's etcd, all at once. */
export interface ApiServersRun {
  servers: number;
  createsPerSec: number;
  vsRawPut: number | null;
  errors: number;
  /** serverUs: the servers' CPU summed, per create. */
  cpuUsPerCreate: CpuPerOp;
  /** Each server's CPU over the window, % of one core. */
  serverCpuPct: Array<number | null>;
  /** What that CPU per create would carry on the machine's cores alone (cpuBoundRates' figure). */
  cpuBoundCreatesPerSec: number | null;
}

export interface EtcdBenchResult {
  /** Which etcd client each side used. */
  clients: { rawEtcd: string; store: string };
  rawEtcd: RawEtcdResult | null;
  /**
   * The same load as create Txns (put if the key's create_revision == 0, what the store and
   * kube-apiserver send for a create; `puts` counts them): the most any create on etcd can reach
   * here, since etcd 3.4 spends several times a Put's CPU on such a Txn.
   */
  rawEtcdTxn: RawEtcdResult | null;
  /** The etcd Store alone, and behind the watch cache, in this process (no HTTP): the storage layer's share. */
  storeOnly: StoreLoadResult | null;
  portcullisOnEtcd: LoadResult | null;
  /** The same create load on the default SQLite store, in the same run: how much of the gap is etcd's. */
  portcullisOnSqlite: LoadResult | null;
  /** Bare fastify whose create is one etcd create Txn (etcd-floor.ts), same load client and etcd. */
  floorOnEtcd: LoadResult | null;
  /** The API server's CPU (user + system) per create, on etcd and on SQLite, and the floor's. */
  serverCpuUsPerCreate: { etcd: number | null; sqlite: number | null; floor: number | null };
  /** Per operation, microseconds of CPU of the server, etcd and the load client (this process; for raw puts the etcd client). */
  cpuUsPerOp: { rawPut: CpuPerOp | null; rawTxn: CpuPerOp | null; portcullisOnEtcd: CpuPerOp | null; floorOnEtcd: CpuPerOp | null; portcullisOnSqlite: CpuPerOp | null };
  /** What the CPU per operation would carry if the processes had the machine's cores to themselves (per second). */
  cpuBoundRates: { cores: number; rawPut: number | null; rawTxn: number | null; portcullisOnEtcd: number | null; floorOnEtcd: number | null };
  /**
   * What the API server may spend per create for 0.5 of raw puts, given the client's measured share
   * and etcd's: as measured per create on Portcullis (etcd batches fewer writes per fsync at the
   * lower rate, so each costs it more), and at its cost per raw create Txn (as if it batched as well).
   */
  budgetFor50pct: { etcdAsMeasured: ServerBudget; etcdAtRawTxnCost: ServerBudget } | null;
  /** etcd's puts per WAL fsync in each phase (warm-up included): its batching, which sets its CPU per write. */
  etcdPutsPerFsync: { rawPut: number | null; rawTxn: number | null; portcullisOnEtcd: number | null; floorOnEtcd: number | null };
  /** Creates through 1, then 2 API servers on the same etcd. */
  apiServersOnEtcd: { one: ApiServersRun; two: ApiServersRun; twoVsOne: number } | null;
  /**
   * etcd's own counters around the Portcullis-on-etcd load, per create: gRPC calls by method,
   * puts, puts per WAL fsync (etcd-metrics.ts). One Txn per create and nothing else means the
   * time per create not spent in etcd is the API server's own.
   */
  etcdWorkPerCreate: EtcdWorkPerCreate | null;
  ratios: {
    createVsRawPut: number | null;
    etcdVsSqliteCreate: number | null;
    storeCreateVsRawPut: number | null;
    cachedStoreCreateVsRawPut: number | null;
    rawTxnVsRawPut: number | null;
    floorVsRawPut: number | null;
    createVsFloor: number | null;
    createVsRawTxn: number | null;
    /** The same two from cpuBoundRates: less at the mercy of the machine's other load. */
    cpuBoundCreateVsRawPut: number | null;
    cpuBoundFloorVsRawPut: number | null;
  };
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

/**
 * Closed-loop writes: `connections` workers, each one at a time (as each HTTP connection does one
 * create), Puts or create Txns.
 */
async function rawWrites(servers: string[], etcdPid: number, o: EtcdBenchOptions, kind: 'put' | 'txn'): Promise<RawEtcdResult> {
  const client = createEtcdKv({ servers });
  const meters = { etcd: new CpuMeter(() => processCpuMicros(etcdPid)), client: new CpuMeter(ownCpuMicros) };
  const mark = () => (meters.etcd.mark(), meters.client.mark());
  try {
    let phase: 'warmup' | 'measure' | 'stop' = 'warmup';
    const latencies: number[] = [];
    let errors = 0;
    let n = 0;
    const worker = async (w: number) => {
      while (phase !== 'stop') {
        const t0 = performance.now();
        try {
          const key = Buffer.from(`/bench/${kind === 'put' ? 'raw' : 'txn'}/${w}/${n++}`);
          await (kind === 'put' ? client.put({ key, value: VALUE }) : client.txn({ compare: absent(key), success: [{ request_put: { key, value: VALUE } }] }));
          if (phase === 'measure') latencies.push(performance.now() - t0);
        } catch {
          if (phase === 'measure') errors++;
        }
      }
    };
    const workers = Array.from({ length: o.connections }, (_, i) => worker(i));
    await new Promise((r) => setTimeout(r, o.warmupMs));
    phase = 'measure';
    mark();
    const start = performance.now();
    await new Promise((r) => setTimeout(r, o.durationMs));
    const elapsed = performance.now() - start;
    mark();
    phase = 'stop';
    await Promise.all(workers);
    const putsPerSec = round((latencies.length / elapsed) * 1000, 1);
    return {
      connections: o.connections,
      puts: latencies.length,
      putsPerSec,
      valueBytes: VALUE.length,
      latencyMs: summarize(latencies),
      errors,
      cpuUsPerPut: cpuPerOp(putsPerSec, { etcd: meters.etcd.pctOfCore(), client: meters.client.pctOfCore() }),
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

interface CreateLoad {
  load: LoadResult | null;
  cpu: CpuPerOp | null;
}

/** The create scenario against a fresh Portcullis process with these extra control plane options. */
function createLoad(name: string, dataDir: string, extra: Record<string, unknown>, o: EtcdBenchOptions, etcdPid: number | null, around?: () => Promise<() => Promise<void>>): Promise<CreateLoad> {
  mkdirSync(dataDir, { recursive: true });
  // Components in their worker thread, as `portcullis up` runs them: on the API server's thread,
  // the controller manager's start on winning its lease (a client certificate minted per
  // controller: RSA keygen and a forge signature each, ~3.4 s of CPU in one piece on this machine)
  // stopped every request for seconds, inside the measured window on etcd (issue 18).
  const spawn = () => spawnServer('portcullis', { dataDir, env: { BENCH_CONTROL_PLANE: JSON.stringify({ componentsInWorker: true, ...extra }) }, cpuProfDir: o.cpuProfDir });
  return measureCreates(name, spawn, true, o, etcdPid, around);
}

/**
 * The create scenario (the same load client as every phase) against a server this spawns, with
 * etcd's CPU (when etcdPid) and this process's read at the instants the load reads the server's.
 */
async function measureCreates(name: string, spawn: () => Promise<ServerProcess>, createNamespaces: boolean, o: EtcdBenchOptions, etcdPid: number | null, around?: () => Promise<() => Promise<void>>): Promise<CreateLoad> {
  const server = await spawn();
  try {
    const profile = o.cpuProfDir ? async () => {
      const save = await server.profile();
      return (scenario: string) => save(`${name}-${scenario}`);
    } : undefined;
    // Started once the server is up and settled: its own start-up work is not the load's.
    await settle(server, o.progress);
    const end = await around?.();
    const meters = { etcd: etcdPid === null ? null : new CpuMeter(() => processCpuMicros(etcdPid)), client: new CpuMeter(ownCpuMicros) };
    const serverCpuMicros = () => (meters.etcd?.mark(), meters.client.mark(), server.cpuMicros());
    const r = await runShapes(server.target, { connections: o.connections, warmupMs: o.warmupMs, durationMs: o.durationMs, listSize: 0, createNamespaces, serverCpuMicros, progress: o.progress, only: new Set(['create']), profile });
    await end?.();
    const load = r.create ?? null;
    return { load, cpu: load ? cpuPerOp(load.rps, { server: load.serverCpuPct, etcd: meters.etcd?.pctOfCore(), client: meters.client.pctOfCore() }) : null };
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

/** What `run` returns, and etcd's puts per WAL fsync while it ran. */
async function withFsyncs<T>(server: string, run: () => Promise<T>): Promise<[T, number | null]> {
  const before = await readEtcdCounters(server);
  const r = await run();
  return [r, etcdWorkPerCreate(before, await readEtcdCounters(server), 0).putsPerFsync];
}

/** Creates through these API servers at once; CPU of each server, etcd and this process over the window. */
async function apiServersRun(servers: ServerProcess[], etcdPid: number, rawPutsPerSec: number, o: EtcdBenchOptions): Promise<ApiServersRun> {
  const meters = { etcd: new CpuMeter(() => processCpuMicros(etcdPid)), client: new CpuMeter(ownCpuMicros) };
  const loads = await createLoads(servers, `n${servers.length}`, o, () => (meters.etcd.mark(), meters.client.mark()));
  const createsPerSec = round(loads.reduce((a, r) => a + r.rps, 0), 1);
  const serverCpuPct = loads.map((r) => r.serverCpuPct ?? null);
  const serverPct = serverCpuPct.every((p) => p !== null) ? serverCpuPct.reduce((a: number, p) => a + (p ?? 0), 0) : null;
  const cpuUsPerCreate = cpuPerOp(createsPerSec, { server: serverPct, etcd: meters.etcd.pctOfCore(), client: meters.client.pctOfCore() });
  return {
    servers: servers.length,
    createsPerSec,
    vsRawPut: ratio(createsPerSec, rawPutsPerSec),
    errors: loads.reduce((a, r) => a + r.errors, 0),
    cpuUsPerCreate,
    serverCpuPct,
    cpuBoundCreatesPerSec: cpuBoundRate(cpus().length, cpuUsPerCreate.totalUs),
  };
}

/** 1, then 2 API servers (no controllers) on this etcd: the second started only after the first's run. */
async function oneVsTwoApiServers(tmp: string, etcdServers: string[], etcdPid: number, rawPutsPerSec: number, o: EtcdBenchOptions): Promise<EtcdBenchResult['apiServersOnEtcd']> {
  const dir = join(tmp, 'api-servers');
  const servers: ServerProcess[] = [];
  try {
    servers.push(...(await startApiServers(dir, etcdServers, 1)));
    await settle(servers[0]!, o.progress);
    o.progress(`etcd: creates through 1 API server (no controllers), ${o.connections} connections`);
    const one = await apiServersRun(servers, etcdPid, rawPutsPerSec, o);
    o.progress(`  ${one.createsPerSec} creates/s`);
    servers.push(...(await startApiServers(dir, etcdServers, 2, 1)));
    await settle(servers[1]!, o.progress);
    o.progress(`etcd: creates through 2 API servers, ${o.connections} connections spread over them`);
    const two = await apiServersRun(servers, etcdPid, rawPutsPerSec, o);
    o.progress(`  ${two.createsPerSec} creates/s (${two.serverCpuPct.join(' + ')} % of a core)`);
    return { one, two, twoVsOne: ratio(two.createsPerSec, one.createsPerSec) };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

export async function runEtcdBench(tmp: string, o: EtcdBenchOptions): Promise<EtcdBenchResult> {
  const etcd = await startEtcd(1);
  try {
    const etcdPid = etcd.members[0]!.process!.pid!;
    o.progress(`etcd: raw puts of ${VALUE.length} bytes, ${o.connections} at a time`);
    const [raw, rawPerFsync] = await withFsyncs(etcd.servers[0]!, () => rawWrites(etcd.servers, etcdPid, o, 'put'));
    o.progress(`  ${raw.putsPerSec} puts/s (CPU per put: etcd ${raw.cpuUsPerPut.etcdUs} µs, client ${raw.cpuUsPerPut.clientUs} µs)`);
    o.progress(`etcd: raw create Txns, ${o.connections} at a time`);
    const [rawTxn, rawTxnPerFsync] = await withFsyncs(etcd.servers[0]!, () => rawWrites(etcd.servers, etcdPid, o, 'txn'));
    o.progress(`  ${rawTxn.putsPerSec} Txns/s (CPU per Txn: etcd ${rawTxn.cpuUsPerPut.etcdUs} µs, client ${rawTxn.cpuUsPerPut.clientUs} µs)`);
    o.progress('etcd: creates into the etcd Store and through the watch cache, in process');
    const storeOnly = await storeCreates(etcd.servers, JSON.parse(VALUE.toString()) as object, o);
    o.progress(`  ${storeOnly.etcdStoreCreatesPerSec} / ${storeOnly.watchCacheCreatesPerSec} creates/s`);
    o.progress('etcd: create through Portcullis with the store on etcd');
    const seen: { work?: EtcdWorkPerCreate } = {};
    const { load: create, cpu: createCpu } = await createLoad('etcd', join(tmp, 'portcullis-etcd'), { etcd: { servers: etcd.servers } }, o, etcdPid, async () => {
      const before = await etcdWork(etcd.servers);
      return async () => {
        const after = await etcdWork(etcd.servers);
        seen.work = etcdWorkPerCreate(before.counters, after.counters, after.creates - before.creates);
      };
    });
    const work = seen.work ?? null;
    if (work) o.progress(`  etcd per create: ${JSON.stringify(work.callsPerCreate)} calls, ${work.putsPerFsync} puts per fsync`);
    if (createCpu) o.progress(`  CPU per create: server ${createCpu.serverUs} µs, etcd ${createCpu.etcdUs} µs, client ${createCpu.clientUs} µs`);
    o.progress('etcd: the floor, bare fastify whose create is one etcd create Txn');
    const [{ load: floor, cpu: floorCpu }, floorPerFsync] = await withFsyncs(etcd.servers[0]!, () => measureCreates('floor', () => spawnServer('fastify', { env: { BENCH_FASTIFY_ETCD: JSON.stringify(etcd.servers) } }), false, o, etcdPid));
    if (floorCpu) o.progress(`  CPU per create: server ${floorCpu.serverUs} µs, etcd ${floorCpu.etcdUs} µs, client ${floorCpu.clientUs} µs`);
    o.progress('etcd: the same create load on the SQLite store');
    const { load: sqlite, cpu: sqliteCpu } = await createLoad('sqlite', join(tmp, 'portcullis-sqlite'), {}, o, null);
    const apiServersOnEtcd = await oneVsTwoApiServers(tmp, etcd.servers, etcdPid, raw.putsPerSec, o);
    const vs = create ? ratio(create.rps, raw.putsPerSec) : null;
    const vsSqlite = create && sqlite ? ratio(create.rps, sqlite.rps) : null;
    const cores = cpus().length;
    const cpuBoundRates = { cores, rawPut: cpuBoundRate(cores, raw.cpuUsPerPut.totalUs), rawTxn: cpuBoundRate(cores, rawTxn.cpuUsPerPut.totalUs), portcullisOnEtcd: cpuBoundRate(cores, createCpu?.totalUs ?? null), floorOnEtcd: cpuBoundRate(cores, floorCpu?.totalUs ?? null) };
    const boundRatio = (r: number | null) => (r !== null && cpuBoundRates.rawPut !== null ? ratio(r, cpuBoundRates.rawPut) : null);
    const ratios = {
      createVsRawPut: vs,
      etcdVsSqliteCreate: vsSqlite,
      storeCreateVsRawPut: ratio(storeOnly.etcdStoreCreatesPerSec, raw.putsPerSec),
      cachedStoreCreateVsRawPut: ratio(storeOnly.watchCacheCreatesPerSec, raw.putsPerSec),
      rawTxnVsRawPut: ratio(rawTxn.putsPerSec, raw.putsPerSec),
      floorVsRawPut: floor ? ratio(floor.rps, raw.putsPerSec) : null,
      createVsFloor: create && floor ? ratio(create.rps, floor.rps) : null,
      createVsRawTxn: create ? ratio(create.rps, rawTxn.putsPerSec) : null,
      cpuBoundCreateVsRawPut: boundRatio(cpuBoundRates.portcullisOnEtcd),
      cpuBoundFloorVsRawPut: boundRatio(cpuBoundRates.floorOnEtcd),
    };
    const budget = (etcdUsPerCreate: number, clientUsPerCreate: number) => serverBudget({ rawPutsPerSec: raw.putsPerSec, goalRatio: 0.5, cores, etcdUsPerCreate, clientUsPerCreate, serverUsPerCreate: createCpu?.serverUs ?? null });
    const budgetFor50pct =
      createCpu?.etcdUs != null && createCpu.clientUs !== null && rawTxn.cpuUsPerPut.etcdUs !== null
        ? { etcdAsMeasured: budget(createCpu.etcdUs, createCpu.clientUs), etcdAtRawTxnCost: budget(rawTxn.cpuUsPerPut.etcdUs, createCpu.clientUs) }
        : null;
    const etcdPutsPerFsync = { rawPut: rawPerFsync, rawTxn: rawTxnPerFsync, portcullisOnEtcd: work?.putsPerFsync ?? null, floorOnEtcd: floorPerFsync };
    if (budgetFor50pct) {
      const { etcdAsMeasured: m, etcdAtRawTxnCost: c } = budgetFor50pct;
      o.progress(`0.5 of raw puts is ${m.createsPerSecNeeded} creates/s: ${m.totalUsPerCreate} µs of CPU per create on ${cores} cores, ${m.serverUsPerCreate} µs of it the API server's (${c.serverUsPerCreate} µs if etcd's cost per create were its cost per raw Txn); measured ${createCpu?.serverUs} µs`);
    }
    const clients = { rawEtcd: CLIENT, store: CLIENT };
    const serverCpuUsPerCreate = { etcd: cpuPerRequest(create), sqlite: cpuPerRequest(sqlite), floor: cpuPerRequest(floor) };
    const cpuUsPerOp = { rawPut: raw.cpuUsPerPut, rawTxn: rawTxn.cpuUsPerPut, portcullisOnEtcd: createCpu, floorOnEtcd: floorCpu, portcullisOnSqlite: sqliteCpu };
    return { clients, rawEtcd: raw, rawEtcdTxn: rawTxn, storeOnly, serverCpuUsPerCreate, cpuUsPerOp, cpuBoundRates, budgetFor50pct, etcdPutsPerFsync, etcdWorkPerCreate: work, portcullisOnEtcd: create, floorOnEtcd: floor, portcullisOnSqlite: sqlite, apiServersOnEtcd, ratios, targets: { create50pctOfRawEtcd: vs === null ? null : vs >= 0.5 } };
  } finally {
    await etcd.stop();
  }
}
