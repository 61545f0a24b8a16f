/**
 * Audit's cost on the write path: create throughput with no audit, with a Metadata policy for
 * everything, and with RequestResponse for everything (log backend, hash chain and checkpoints
 * on), each in a server process of its own. Goals (issue 17): Metadata >= 90% and
 * RequestResponse >= 70% of the run without audit.
 *
 * The three servers start up front and are measured interleaved: after one unmeasured priming
 * window each, R rounds (BENCH_AUDIT_ROUNDS, 5) in which each configuration gets one load window
 * (warm-up, then BENCH_AUDIT_WINDOW_MS, 2000) in an order that rotates from round to round. A
 * ratio is taken per round from that round's windows, seconds apart, and the reported ratio is
 * their median, with min and max beside it: on a shared machine a burst of other work lands in
 * one window of one round instead of deciding a whole configuration's figure, as it did when each
 * ran once for 4 s after the other. Same servers, policies, request and connections as before.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Auditor } from '../src/audit/auditor.ts';
import { LogBackend } from '../src/audit/log-backend.ts';
import { ensureAuditSigningKey } from '../src/audit/signing-key.ts';
import type { Level } from '../src/audit/types.ts';
import type { RequestInfo } from '../src/server/request-info.ts';
import { runLoad, type LoadOptions, type LoadResult } from './load.ts';
import { runShapes } from './scenarios.ts';
import { spawnServer, type ServerProcess } from './server-process.ts';
import { CONFIGMAPS, configMapBody } from './shapes.ts';
import { medianSpread, ratio } from './stats.ts';

export interface AuditBenchOptions {
  connections: number;
  warmupMs: number;
  /** Unused since the rounds (kept so callers need not change): each window is `windowMs`. */
  durationMs: number;
  /** Rounds; default BENCH_AUDIT_ROUNDS or 5. */
  rounds?: number;
  /** Measured window per configuration and round; default BENCH_AUDIT_WINDOW_MS or 2000. */
  windowMs?: number;
  progress: (msg: string) => void;
}

type Config = 'none' | 'metadata' | 'requestResponse';
type PerConfig<T> = Record<Config, T>;
type Spread = { median: number; min: number; max: number };
type Pair = { metadataVsNone: number | null; requestResponseVsNone: number | null };

export interface AuditRound {
  /** The order the configurations were loaded in this round. */
  order: Config[];
  rps: PerConfig<number>;
  rpsPerServerCore: PerConfig<number | null>;
  errors: PerConfig<number>;
  ratios: Pair & { perServerCore: Pair };
}

export interface AuditBenchResult {
  schedule: { rounds: number; windowMs: number; warmupMs: number; connections: number };
  /** Per configuration, the window with the median throughput over the rounds (latency etc.). */
  none: LoadResult | null;
  metadata: LoadResult | null;
  requestResponse: LoadResult | null;
  /** Per configuration over the rounds: median, min and max of throughput and of throughput per server core. */
  rps: PerConfig<Spread>;
  rpsPerServerCore: PerConfig<Spread>;
  /**
   * Medians of the per-round ratios (each from one round's windows), and the same per core of
   * server CPU (steadier on a shared machine); `spread` gives min and max of the per-round ratios.
   */
  ratios: Pair & { perServerCore: Pair; spread: { metadataVsNone: Spread; requestResponseVsNone: Spread; perServerCore: { metadataVsNone: Spread; requestResponseVsNone: Spread } } };
  rounds: AuditRound[];
  targets: { metadata90pct: boolean | null; requestResponse70pct: boolean | null };
  /**
   * In-process: the CPU one create's records cost (policy, two records, chain, log writer), in
   * microseconds, on all threads (the log writer's included). Steady on a busy machine, where the
   * throughput ratios above are noise.
   */
  recordCpuMicrosPerRequest: { metadata: number; requestResponse: number };
  /** The same on the request's thread alone: what the API server's event loop pays. */
  recordMainThreadCpuMicrosPerRequest: { metadata: number; requestResponse: number };
}

const RUNS = [
  ['none', undefined],
  ['metadata', 'Metadata'],
  ['requestResponse', 'RequestResponse'],
] as const;
const CONFIGS: Config[] = RUNS.map(([name]) => name);
/** The namespace runShapes' setup makes for the create scenario. */
const CREATE_NS = 'bench-create';

const envNumber = (name: string, dflt: number) => (process.env[name] ? Number(process.env[name]) : dflt);

export async function runAuditBench(tmp: string, o: AuditBenchOptions): Promise<AuditBenchResult> {
  const rounds = Math.max(1, o.rounds ?? envNumber('BENCH_AUDIT_ROUNDS', 5));
  const windowMs = o.windowMs ?? envNumber('BENCH_AUDIT_WINDOW_MS', 2000);
  const servers = new Map<Config, ServerProcess>();
  const windows: PerConfig<LoadResult[]> = { none: [], metadata: [], requestResponse: [] };
  const roundsOut: AuditRound[] = [];
  try {
    for (const [name, level] of RUNS) {
      const dataDir = join(tmp, `audit-${name}`);
      const extra = JSON.parse(process.env.BENCH_CONTROL_PLANE ?? '{}') as Record<string, unknown>;
      if (level) extra.audit = { policy: { apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules: [{ level }] }, logPath: join(dataDir, 'audit.log') };
      o.progress(`audit: starting a server with ${level ? `a ${level} policy for everything` : 'no audit'}`);
      const server = await spawnServer('portcullis', { dataDir, env: { BENCH_CONTROL_PLANE: JSON.stringify(extra) } });
      servers.set(name, server);
      // The create scenario's setup (its namespaces and objects), without its load run.
      await runShapes(server.target, { connections: o.connections, warmupMs: 0, durationMs: 0, listSize: 0, createNamespaces: true, progress: o.progress, only: new Set() });
    }
    // One unmeasured window per server first: otherwise round 1's first window would be the only
    // one on a cold server (JIT, caches), and a configuration's figure would depend on its turn.
    for (const [name, server] of servers) {
      o.progress(`audit: priming the ${name} server`);
      await runLoad({ target: server.target, connections: o.connections, warmupMs: 0, durationMs: 2 * o.warmupMs, request: createRequest('p00') });
    }
    for (let r = 0; r < rounds; r++) {
      const order = CONFIGS.map((_, i) => CONFIGS[(i + r) % CONFIGS.length]!);
      const got = {} as PerConfig<LoadResult>;
      for (const name of order) {
        const server = servers.get(name)!;
        got[name] = await runLoad({
          target: server.target,
          connections: o.connections,
          warmupMs: o.warmupMs,
          durationMs: windowMs,
          serverCpuMicros: () => server.cpuMicros(),
          // Names unique per server across rounds; same length as the create scenario's `c50-N`.
          request: createRequest(`r${String(r % 100).padStart(2, '0')}`),
        });
        windows[name].push(got[name]);
      }
      const round = summariseRound(order, got);
      roundsOut.push(round);
      o.progress(`audit round ${r + 1}/${rounds} (${order.join(', ')}): ${CONFIGS.map((c) => `${c} ${got[c].rps}`).join(', ')} req/s; metadata/none ${round.ratios.metadataVsNone}, rr/none ${round.ratios.requestResponseVsNone}`);
    }
  } finally {
    await Promise.all([...servers.values()].map((s) => s.stop()));
  }
  const ofRounds = (pick: (r: AuditRound) => number | null) => medianSpread(roundsOut.map((r) => pick(r) ?? NaN));
  const spread = {
    metadataVsNone: ofRounds((r) => r.ratios.metadataVsNone),
    requestResponseVsNone: ofRounds((r) => r.ratios.requestResponseVsNone),
    perServerCore: { metadataVsNone: ofRounds((r) => r.ratios.perServerCore.metadataVsNone), requestResponseVsNone: ofRounds((r) => r.ratios.perServerCore.requestResponseVsNone) },
  };
  const orNull = (v: number) => (Number.isFinite(v) ? v : null);
  const ratios = {
    metadataVsNone: orNull(spread.metadataVsNone.median),
    requestResponseVsNone: orNull(spread.requestResponseVsNone.median),
    perServerCore: { metadataVsNone: orNull(spread.perServerCore.metadataVsNone.median), requestResponseVsNone: orNull(spread.perServerCore.requestResponseVsNone.median) },
    spread,
  };
  const perConfig = <T>(f: (c: Config) => T) => ({ none: f('none'), metadata: f('metadata'), requestResponse: f('requestResponse') });
  const cost = { metadata: await recordCost(tmp, 'Metadata'), requestResponse: await recordCost(tmp, 'RequestResponse') };
  return {
    schedule: { rounds, windowMs, warmupMs: o.warmupMs, connections: o.connections },
    ...perConfig((c) => medianWindow(windows[c])),
    rps: perConfig((c) => medianSpread(windows[c].map((w) => w.rps), 1)),
    rpsPerServerCore: perConfig((c) => medianSpread(windows[c].map((w) => w.rpsPerServerCore ?? NaN), 1)),
    ratios,
    rounds: roundsOut,
    targets: {
      metadata90pct: ratios.metadataVsNone === null ? null : ratios.metadataVsNone >= 0.9,
      requestResponse70pct: ratios.requestResponseVsNone === null ? null : ratios.requestResponseVsNone >= 0.7,
    },
    recordCpuMicrosPerRequest: { metadata: cost.metadata.allThreads, requestResponse: cost.requestResponse.allThreads },
    recordMainThreadCpuMicrosPerRequest: { metadata: cost.metadata.mainThread, requestResponse: cost.requestResponse.mainThread },
  };
}

/** One round's figures and its ratios, each against the same round's window without audit. */
export function summariseRound(order: Config[], got: PerConfig<LoadResult>): AuditRound {
  const vs = (a: LoadResult) => (got.none.rps > 0 ? ratio(a.rps, got.none.rps) : null);
  const perCore = (a: LoadResult) => (a.rpsPerServerCore && got.none.rpsPerServerCore ? ratio(a.rpsPerServerCore, got.none.rpsPerServerCore) : null);
  return {
    order,
    rps: { none: got.none.rps, metadata: got.metadata.rps, requestResponse: got.requestResponse.rps },
    rpsPerServerCore: { none: got.none.rpsPerServerCore ?? null, metadata: got.metadata.rpsPerServerCore ?? null, requestResponse: got.requestResponse.rpsPerServerCore ?? null },
    errors: { none: got.none.errors, metadata: got.metadata.errors, requestResponse: got.requestResponse.errors },
    ratios: {
      metadataVsNone: vs(got.metadata),
      requestResponseVsNone: vs(got.requestResponse),
      perServerCore: { metadataVsNone: perCore(got.metadata), requestResponseVsNone: perCore(got.requestResponse) },
    },
  };
}

/** The create scenario's request: a ConfigMap of the same shape, named `<prefix>-<seq>`. */
function createRequest(prefix: string): LoadOptions['request'] {
  return (seq) => ({ method: 'POST', path: CONFIGMAPS(CREATE_NS), body: configMapBody(CREATE_NS, `${prefix}-${seq}`), expectStatus: 201 });
}

/** The window whose throughput is the median (the lower middle one for an even count). */
function medianWindow(ws: LoadResult[]): LoadResult | null {
  if (ws.length === 0) return null;
  return [...ws].sort((a, b) => a.rps - b.rps)[(ws.length - 1) >> 1]!;
}

/** What the server does for one audited create, without the server: CPU microseconds per request. */
export async function recordCost(tmp: string, level: Level, n = 20_000): Promise<{ allThreads: number; mainThread: number }> {
  const dir = mkdtempSync(join(tmp, 'audit-cost-'));
  const log = new LogBackend({ path: join(dir, 'audit.log'), signingKey: ensureAuditSigningKey(dir), maxQueueBytes: 1024 ** 3 });
  const auditor = new Auditor({ policy: { apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules: [{ level }] }, backends: [log] });
  const info: RequestInfo = { isResourceRequest: true, path: '/api/v1/namespaces/bench/configmaps', verb: 'create', apiPrefix: 'api', apiGroup: '', apiVersion: 'v1', namespace: 'bench', resource: 'configmaps', subresource: '', name: '', parts: ['namespaces', 'bench', 'configmaps'] };
  const user = { username: 'admin', groups: ['system:masters', 'system:authenticated'] };
  const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'bench', uid: '6c1f0f5e-1d7e-4c37-9d4e-1b2a3c4d5e6f', resourceVersion: '12', creationTimestamp: '2026-01-01T00:00:00Z' }, data: { key: 'v'.repeat(100) } };
  // The log writer's thread is up before the clock starts (its start is not a request's cost).
  await log.flush();
  const start = process.cpuUsage();
  const startMain = process.threadCpuUsage();
  for (let i = 0; i < n; i++) {
    const r = auditor.begin({ auditID: `id-${i}`, requestURI: info.path, sourceIPs: ['127.0.0.1'], userAgent: 'bench' });
    r.setInfo(info);
    r.authenticated(user);
    r.annotate({ 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' });
    r.setRequestObject(obj);
    r.setResponseObject(obj);
    r.complete(201);
    // As in the server, records arrive over many turns of the event loop, so the log writer's
    // batches (and what each write costs) are what a loaded server sees, not one write at the end.
    // The turn itself costs a microsecond or two, counted in the figure.
    await new Promise((res) => setImmediate(res));
  }
  // What the writer has left runs after the loop: its CPU counts once it is done (close waits for it).
  await log.close();
  const used = process.cpuUsage(start);
  const usedMain = process.threadCpuUsage(startMain);
  rmSync(dir, { recursive: true, force: true });
  const perRequest = (u: NodeJS.CpuUsage) => Math.round(((u.user + u.system) / n) * 10) / 10;
  return { allThreads: perRequest(used), mainThread: perRequest(usedMain) };
}
