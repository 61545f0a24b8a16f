/**
 * `npm run bench`: Portcullis through the full HTTPS pipeline next to bare mutual-TLS fastify and
 * raw SQLite, all in one run, as ONE JSON document on stdout (progress on stderr). It reports; it
 * does not assert: the exit code is 0 whether or not the targets are met.
 *
 * Each server under test runs in its own process (server-child.ts) so the load generator, in
 * this process, does not share its event loop. Knobs (environment):
 *   BENCH_CONNECTIONS (50), BENCH_DURATION_MS (4000), BENCH_WARMUP_MS (1000), BENCH_LIST_SIZE (1000),
 *   BENCH_WATCHERS (100), BENCH_ONLY=portcullis (skip the baselines),
 *   BENCH_SCENARIOS=create[,create1,get,get1,list] (only these load scenarios, no watch fan-out and
 *   none of the in-process benches: the quick way to compare one path before and after a change),
 *   BENCH_CPU_PROF=<dir> (one V8 CPU profile per scenario and server; numbers taken while profiling
 *   are not representative), BENCH_DURABILITY=normal.
 * The scale scenario (scale.ts; BENCH_SCENARIOS=scale, alone or with others; part of the default
 * run): 500 simulated nodes and 10,000 pods, or 5,000 / 150,000 with BENCH_SCALE=full; sizes
 * BENCH_SCALE_NODES / BENCH_SCALE_PODS, create concurrency BENCH_SCALE_CONCURRENCY (100); the load
 * client is a tenant user and each node system:node:<name> (scale-identities.ts), or all admin
 * with BENCH_SCALE_IDENTITIES=admin; BENCH_SCALE_PARALLEL_BINDS: the scheduler's binds in flight
 * (default 64, the scheduler's DEFAULT_PARALLEL_BINDS), BENCH_SCALE_WATCH_BACKLOG: the server's
 * per-watcher backlog bound (its default unless set), BENCH_SCALE_HEARTBEAT_IN_FLIGHT: the simulated nodes' heartbeat writes in flight
 * (default 64; real kubelets are not bounded together).
 * The audit scenario (audit.ts; BENCH_SCENARIOS=audit, alone; part of the default run): create
 * throughput without audit, with a Metadata policy and with a RequestResponse policy for everything,
 * the three servers measured interleaved: BENCH_AUDIT_ROUNDS (5) rounds of one BENCH_AUDIT_WINDOW_MS
 * (2000) window each, after BENCH_WARMUP_MS.
 * The etcd scenario (etcd.ts; BENCH_SCENARIOS=etcd, alone): create through Portcullis with the store
 * on a local etcd member next to raw etcd puts at the same concurrency, raw create Txns, a floor
 * (fastify doing one etcd Txn per create), CPU per create split between server, etcd and client,
 * and creates through 1 vs 2 API servers.
 * The multi-apiserver scenario (multi-apiserver.ts; BENCH_SCENARIOS=multi-apiserver, alone): create
 * and GET throughput through one API server and through three on the same etcd.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, platform, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { runSqliteBaseline, type SqliteBaseline } from './baseline-sqlite.ts';
import { benchRbac } from '../src/authz/rbac/bench.ts';
import { benchCasbin } from '../src/authz/casbin/bench.ts';
import { benchPodSecurity } from '../src/admission/pod-security/bench.ts';
import { benchAdmissionPolicy } from '../src/admission/cel/bench.ts';
import { benchAdmission } from './admission.ts';
import { benchAuthn } from './authn.ts';
import { parseScenarios, runShapes, type ShapeResults } from './scenarios.ts';
import { spawnServer, type ServerProcess } from './server-process.ts';
import { ratio } from './stats.ts';
import { runWatchFanout, type FanoutResult } from './watch-fanout.ts';
import { newAgent, send, type LoadResult } from './load.ts';
import { namespaceBody } from './shapes.ts';
import { runScale, type ScaleResult } from './scale.ts';
import { runAuditBench } from './audit.ts';
import { runEtcdBench } from './etcd.ts';
import { runMultiApiServerBench } from './multi-apiserver.ts';
import { benchNetpol } from './netpol.ts';
import { benchNetpolThroughApi } from './netpol-api.ts';
import { benchServiceThroughput } from './service-throughput.ts';
import { benchContainerStart } from './container-start.ts';
import { benchPodStart } from './pod-start.ts';
import { benchImageVerify } from './image-verify.ts';
import { benchNotaryVerify } from './notary-verify.ts';
import { benchImageAdmission } from './image-admission.ts';

const env = process.env;
const num = (name: string, dflt: number) => (env[name] ? Number(env[name]) : dflt);
const CONNECTIONS = num('BENCH_CONNECTIONS', 50);
const DURATION_MS = num('BENCH_DURATION_MS', 4000);
const WARMUP_MS = num('BENCH_WARMUP_MS', 1000);
const LIST_SIZE = num('BENCH_LIST_SIZE', 1000);
const WATCHERS = num('BENCH_WATCHERS', 100);
const ONLY_PORTCULLIS = env.BENCH_ONLY === 'portcullis';
const SCENARIO_NAMES = (env.BENCH_SCENARIOS ?? '').split(',').map((n) => n.trim()).filter(Boolean);
/** 'scale' is not a load shape of scenarios.ts: taken out here, run by scale.ts. */
const SCALE_SELECTED = !env.BENCH_SCENARIOS || SCENARIO_NAMES.includes('scale');
const ONLY_SCALE = SCENARIO_NAMES.length > 0 && SCENARIO_NAMES.every((n) => n === 'scale');
const ONLY_AUDIT = SCENARIO_NAMES.length > 0 && SCENARIO_NAMES.every((n) => n === 'audit');
const ONLY_ETCD = SCENARIO_NAMES.length > 0 && SCENARIO_NAMES.every((n) => n === 'etcd');
const ONLY_MULTI = SCENARIO_NAMES.length > 0 && SCENARIO_NAMES.every((n) => n === 'multi-apiserver');
const SCENARIOS = ONLY_SCALE || ONLY_AUDIT || ONLY_ETCD || ONLY_MULTI ? undefined : parseScenarios(SCENARIO_NAMES.filter((n) => n !== 'scale').join(','));
const SCALE_FULL = env.BENCH_SCALE === 'full';
const SCALE = {
  nodes: num('BENCH_SCALE_NODES', SCALE_FULL ? 5_000 : 500),
  pods: num('BENCH_SCALE_PODS', SCALE_FULL ? 150_000 : 10_000),
  concurrency: num('BENCH_SCALE_CONCURRENCY', 100),
  watchBacklogEvents: env.BENCH_SCALE_WATCH_BACKLOG ? Number(env.BENCH_SCALE_WATCH_BACKLOG) : undefined,
  heartbeatInFlight: env.BENCH_SCALE_HEARTBEAT_IN_FLIGHT ? Number(env.BENCH_SCALE_HEARTBEAT_IN_FLIGHT) : undefined,
  parallelBinds: env.BENCH_SCALE_PARALLEL_BINDS ? Number(env.BENCH_SCALE_PARALLEL_BINDS) : undefined,
};
/** The whole run is bounded: past this, report what failed and exit non-zero (the full scale run gets an hour more). */
const WATCHDOG_MS = num('BENCH_WATCHDOG_MS', 200_000 + (SCALE_SELECTED ? (SCALE_FULL ? 3_600_000 : 300_000) : 0));

const progress = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

async function measureFastify(): Promise<ShapeResults | { error: string }> {
  progress('baseline: bare fastify 5, mutual TLS');
  let server: ServerProcess | undefined;
  try {
    server = await spawnServer('fastify', { cpuProfDir: profileDir() });
    return await runShapes(server.target, shapeOptions(server, false));
  } catch (err) {
    progress(`fastify baseline failed: ${errorText(err)}`);
    return { error: errorText(err) };
  } finally {
    await server?.stop();
  }
}

function profileDir(): string | undefined {
  if (!env.BENCH_CPU_PROF) return undefined;
  const dir = resolve(env.BENCH_CPU_PROF);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function shapeOptions(server: ServerProcess, createNamespaces: boolean) {
  return {
    connections: CONNECTIONS,
    warmupMs: WARMUP_MS,
    durationMs: DURATION_MS,
    listSize: LIST_SIZE,
    createNamespaces,
    serverCpuMicros: () => server.cpuMicros(),
    profile: () => server.profile(),
    progress,
    only: SCENARIOS,
  };
}

interface PortcullisResults extends ShapeResults {
  durability: string;
  watchFanout: FanoutResult | { error: string };
}

async function measurePortcullis(dataDir: string): Promise<PortcullisResults | { error: string }> {
  progress('portcullis: full HTTPS pipeline');
  let server: ServerProcess | undefined;
  const cpuProfDir = profileDir();
  try {
    server = await spawnServer('portcullis', { dataDir, cpuProfDir });
    const shapes = await runShapes(server.target, shapeOptions(server, true));
    const durability = env.BENCH_DURABILITY === 'normal' ? 'normal' : 'full';
    if (SCENARIOS) return { durability, ...shapes, watchFanout: { error: 'not run (BENCH_SCENARIOS)' } };
    progress(`watch fan-out: ${WATCHERS} watchers`);
    let watchFanout: FanoutResult | { error: string };
    try {
      const agent = newAgent(server.target.tls);
      await send(server.target, agent, { method: 'POST', path: '/api/v1/namespaces', body: namespaceBody('bench-watch') });
      agent.destroy();
      const save = await server.profile();
      watchFanout = await runWatchFanout(server.target, {
        namespace: 'bench-watch',
        watchers: WATCHERS,
        sequentialCreates: 100,
        burstCreates: 500,
        burstConnections: 10,
        timeoutMs: 20_000,
      }).finally(() => save('watch'));
      progress(`  burst: ${watchFanout.burst.eventsPerSec} events/s, p99 ${watchFanout.burst.deliveryFromResponseMs.p99} ms`);
    } catch (err) {
      progress(`watch fan-out failed: ${errorText(err)}`);
      watchFanout = { error: errorText(err) };
    }
    return { durability, ...shapes, watchFanout };
  } catch (err) {
    progress(`portcullis failed: ${errorText(err)}`);
    return { error: errorText(err) };
  } finally {
    await server?.stop();
    if (cpuProfDir) progress(`CPU profiles written to ${cpuProfDir}; summarise with: node --import tsx bench/profile-summary.ts ${cpuProfDir}`);
  }
}

async function measureScale(dataDir: string): Promise<ScaleResult | { error: string }> {
  progress(`scale: ${SCALE.nodes} simulated nodes, ${SCALE.pods} pods`);
  try {
    const r = await runScale({ ...SCALE, dataDir, cpuProfDir: profileDir(), stallMs: 60_000, windowMs: 5_000, progress });
    progress(`  sustained ${r.scheduling.sustainedPodsPerSec} pods/s bound, create p99 ${r.create.latencyMs.p99} ms, control plane peak RSS ${r.controlPlane.peakRssMiB} MiB`);
    return r;
  } catch (err) {
    progress(`scale failed: ${errorText(err)}`);
    return { error: errorText(err) };
  }
}

function isOk<T extends object>(v: T | { error: string } | undefined): v is T {
  return v !== undefined && !('error' in v);
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'portcullis-bench-'));
  const watchdog = setTimeout(() => {
    progress(`watchdog: the run took longer than ${WATCHDOG_MS} ms`);
    rmSync(tmp, { recursive: true, force: true });
    process.exit(1);
  }, WATCHDOG_MS);
  watchdog.unref();
  const started = Date.now();
  try {
    if (ONLY_ETCD) {
      const etcd = await runEtcdBench(tmp, { connections: CONNECTIONS, warmupMs: WARMUP_MS, durationMs: DURATION_MS, progress, cpuProfDir: profileDir() });
      process.stdout.write(JSON.stringify({ settings: { connections: CONNECTIONS, durationMs: DURATION_MS, scenarios: ['etcd'] }, etcd }, null, 2) + '\n');
      return;
    }
    if (ONLY_MULTI) {
      const multiApiServer = await runMultiApiServerBench(tmp, { connections: CONNECTIONS, warmupMs: WARMUP_MS, durationMs: DURATION_MS, progress });
      process.stdout.write(JSON.stringify({ settings: { connections: CONNECTIONS, durationMs: DURATION_MS, scenarios: ['multi-apiserver'] }, multiApiServer }, null, 2) + '\n');
      return;
    }
    if (ONLY_AUDIT) {
      const audit = await runAuditBench(tmp, { connections: CONNECTIONS, warmupMs: WARMUP_MS, durationMs: DURATION_MS, progress });
      process.stdout.write(JSON.stringify({ settings: { connections: CONNECTIONS, durationMs: DURATION_MS, scenarios: ['audit'] }, audit }, null, 2) + '\n');
      return;
    }
    if (ONLY_SCALE) {
      const scale = await measureScale(join(tmp, 'scale'));
      process.stdout.write(JSON.stringify({ settings: { scenarios: ['scale'], scale: SCALE }, scale }, null, 2) + '\n');
      return;
    }
    let sqlite: SqliteBaseline | { error: string } | undefined;
    let fastify: ShapeResults | { error: string } | undefined;
    if (!ONLY_PORTCULLIS) {
      progress('baseline: raw SQLite inserts (WAL, synchronous=FULL)');
      try {
        sqlite = runSqliteBaseline(tmp, { durationMs: Math.min(DURATION_MS, 3000), warmupMs: 500, batchSize: 100 });
        progress(`  single-row ${sqlite.singleRow.rowsPerSec} rows/s, batched ${sqlite.batched.rowsPerSec} rows/s`);
      } catch (err) {
        sqlite = { error: errorText(err) };
      }
      fastify = await measureFastify();
    }
    const portcullis = await measurePortcullis(join(tmp, 'portcullis'));

    const f = isOk(fastify) ? fastify : undefined;
    const p = isOk(portcullis) ? portcullis : undefined;
    const s = isOk(sqlite) ? sqlite : undefined;
    // A scenario left out (BENCH_SCENARIOS) has no ratio: null.
    const vs = (a: LoadResult | undefined, b: number | undefined) => (a && b !== undefined ? ratio(a.rps, b) : null);
    const ratios =
      p && f
        ? {
            createVsFastify: vs(p.create, f.create?.rps),
            getVsFastify: vs(p.get, f.get?.rps),
            listVsFastify: vs(p.list, f.list?.rps),
            create1VsFastify: vs(p.create1, f.create1?.rps),
            get1VsFastify: vs(p.get1, f.get1?.rps),
            createVsSqliteInsert: s ? vs(p.create, s.singleRow.rowsPerSec) : null,
            createVsSqliteBatched: s ? vs(p.create, s.batched.rowsPerSec) : null,
          }
        : null;
    const atMost = (r: LoadResult | undefined, ms: number) => (r ? r.latencyMs.p99 <= ms : null);
    const atLeast = (v: number | null | undefined, min: number) => (v === null || v === undefined ? null : v >= min);
    const targets = p
      ? {
          durableCreate30pct: atLeast(ratios?.createVsFastify, 0.3),
          get60pct: atLeast(ratios?.getVsFastify, 0.6),
          createP99Under10msAt50: atMost(p.create, 10),
          getP99Under10msAt50: atMost(p.get, 10),
          detail: { createP99Ms: p.create?.latencyMs.p99 ?? null, getP99Ms: p.get?.latencyMs.p99 ?? null, connections: CONNECTIONS },
        }
      : null;
    if (SCENARIOS) {
      const scale = SCALE_SELECTED ? await measureScale(join(tmp, 'scale')) : undefined;
      process.stdout.write(JSON.stringify({ settings: { connections: CONNECTIONS, durationMs: DURATION_MS, scenarios: SCENARIO_NAMES, ...(scale ? { scale: SCALE } : {}) }, baseline: { fastify: fastify ?? null }, portcullis, ratios, targets, ...(scale ? { scale } : {}) }, null, 2) + '\n');
      return;
    }
    progress('authorization: RBAC index vs casbin enforce at 10k RoleBindings / 100k rules');
    const rbac = await benchRbac({ print: false });
    progress('authorization: Casbin mode (compiled index) vs casbin enforce at 100k policy lines');
    const casbin = await benchCasbin({ print: false });
    progress('admission: Pod Security Standards at restricted:latest');
    const podSecurity = benchPodSecurity();
    progress('admission: ValidatingAdmissionPolicy expressions, compile time, 100 bindings on one request');
    const admissionPolicy = await benchAdmissionPolicy();
    progress('admission: the default chain on a typical pod, and quota charging under 50 writers');
    const chain = await benchAdmission();
    progress('authentication: cost per method');
    const authn = await benchAuthn();
    progress('network policy: model + nftables programming, 200x200 change latency and growth to 1,000x1,000');
    const networkPolicy = await benchNetpol().catch((err: unknown) => ({ error: errorText(err) }));
    progress('network policy: create through the API -> informer -> enforcer -> kernel, 200 pods x 200 policies');
    const networkPolicyThroughApi = await benchNetpolThroughApi().catch((err: unknown) => ({ error: errorText(err) }));
    progress('services: ClusterIP vs pod IP (bulk TCP, request/response, new connections) between two pod namespaces');
    const serviceThroughput = await benchServiceThroughput().catch((err: unknown) => ({ error: errorText(err) }));
    progress('node agent: container start latency on runc (image present), against bare runc run');
    const containerStart = await benchContainerStart().catch((err: unknown) => ({ error: errorText(err) }));
    progress('node agent: pod start (create -> Running) for 50 pods at once on one agent');
    const podStart = await benchPodStart().catch((err: unknown) => ({ error: errorText(err) }));
    progress('image verification: uncached cosign key verification against a local docker-registry');
    const imageVerification = await benchImageVerify().catch((err: unknown) => ({ error: errorText(err) }));
    progress('image verification: Notary (docker content trust) with cached metadata, against notary-server');
    const notaryVerification = await benchNotaryVerify().catch((err: unknown) => ({ error: errorText(err) }));
    // Cached verdict latency and pod create throughput with a policy vs none (servers of their own).
    const imageAdmission = await benchImageAdmission({ connections: CONNECTIONS, warmupMs: WARMUP_MS, progress }).catch((err: unknown) => ({ error: errorText(err) }));
    const audit = await runAuditBench(tmp, { connections: CONNECTIONS, warmupMs: WARMUP_MS, durationMs: DURATION_MS, progress }).catch((err: unknown) => ({ error: errorText(err) }));
    const scale = await measureScale(join(tmp, 'scale'));
    const report = {
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        node: process.version,
        platform: `${platform()} ${release()}`,
      },
      settings: { connections: CONNECTIONS, durationMs: DURATION_MS, warmupMs: WARMUP_MS, listSize: LIST_SIZE, watchers: WATCHERS, scale: SCALE },
      baseline: { fastify: fastify ?? null, sqlite: sqlite ?? null },
      portcullis,
      authorization: {
        rbac,
        ratio: { indexVsCasbinP50: rbac.casbin.p50Us > 0 ? Math.round(rbac.casbin.p50Us / Math.max(rbac.index.p50Us, 0.001)) : null },
        target: { p99Under5us: rbac.index.p99Us <= 5 },
        casbin,
        casbinRatio: { indexVsCasbinP50: casbin.casbin.p50Us > 0 ? Math.round(casbin.casbin.p50Us / Math.max(casbin.index.p50Us, 0.001)) : null },
        casbinTarget: { p99Under5us: casbin.index.p99Us <= 5 },
      },
      admission: { podSecurity, podSecurityTarget: { p99Under20us: podSecurity.every((r) => r.p99Ns <= 20_000) }, chain, admissionPolicy },
      authentication: authn,
      audit,
      networkPolicy,
      networkPolicyThroughApi,
      serviceThroughput,
      imageVerification,
      notaryVerification,
      imageAdmission,
      containerStart,
      podStart,
      scale,
      ratios,
      targets,
      totalSeconds: Math.round((Date.now() - started) / 1000),
    };
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    progress(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
