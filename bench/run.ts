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
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, platform, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { runSqliteBaseline, type SqliteBaseline } from './baseline-sqlite.ts';
import { benchRbac } from '../src/authz/rbac/bench.ts';
import { benchPodSecurity } from '../src/admission/pod-security/bench.ts';
import { benchAdmission } from './admission.ts';
import { benchAuthn } from './authn.ts';
import { parseScenarios, runShapes, type ShapeResults } from './scenarios.ts';
import { spawnServer, type ServerProcess } from './server-process.ts';
import { ratio } from './stats.ts';
import { runWatchFanout, type FanoutResult } from './watch-fanout.ts';
import { newAgent, send, type LoadResult } from './load.ts';
import { namespaceBody } from './shapes.ts';

const env = process.env;
const num = (name: string, dflt: number) => (env[name] ? Number(env[name]) : dflt);
const CONNECTIONS = num('BENCH_CONNECTIONS', 50);
const DURATION_MS = num('BENCH_DURATION_MS', 4000);
const WARMUP_MS = num('BENCH_WARMUP_MS', 1000);
const LIST_SIZE = num('BENCH_LIST_SIZE', 1000);
const WATCHERS = num('BENCH_WATCHERS', 100);
const ONLY_PORTCULLIS = env.BENCH_ONLY === 'portcullis';
const SCENARIOS = parseScenarios(env.BENCH_SCENARIOS);
/** The whole run is bounded: past this, report what failed and exit non-zero. */
const WATCHDOG_MS = num('BENCH_WATCHDOG_MS', 200_000);

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
      process.stdout.write(JSON.stringify({ settings: { connections: CONNECTIONS, durationMs: DURATION_MS, scenarios: [...SCENARIOS] }, baseline: { fastify: fastify ?? null }, portcullis, ratios, targets }, null, 2) + '\n');
      return;
    }
    progress('authorization: RBAC index vs casbin enforce at 10k RoleBindings / 100k rules');
    const rbac = await benchRbac({ print: false });
    progress('admission: Pod Security Standards at restricted:latest');
    const podSecurity = benchPodSecurity();
    progress('admission: the default chain on a typical pod, and quota charging under 50 writers');
    const chain = await benchAdmission();
    progress('authentication: cost per method');
    const authn = await benchAuthn();
    const report = {
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        node: process.version,
        platform: `${platform()} ${release()}`,
      },
      settings: { connections: CONNECTIONS, durationMs: DURATION_MS, warmupMs: WARMUP_MS, listSize: LIST_SIZE, watchers: WATCHERS },
      baseline: { fastify: fastify ?? null, sqlite: sqlite ?? null },
      portcullis,
      authorization: {
        rbac,
        ratio: { indexVsCasbinP50: rbac.casbin.p50Us > 0 ? Math.round(rbac.casbin.p50Us / Math.max(rbac.index.p50Us, 0.001)) : null },
        target: { p99Under5us: rbac.index.p99Us <= 5 },
      },
      admission: { podSecurity, podSecurityTarget: { p99Under20us: podSecurity.every((r) => r.p99Ns <= 20_000) }, chain },
      authentication: authn,
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
