/**
 * Audit's cost on the write path: create throughput with no audit, with a Metadata policy for
 * everything, and with RequestResponse for everything (log backend, hash chain and checkpoints
 * on), each in a fresh server process in the same run. Goals (issue 17): Metadata >= 90% and
 * RequestResponse >= 70% of the run without audit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Auditor } from '../src/audit/auditor.ts';
import { LogBackend } from '../src/audit/log-backend.ts';
import { ensureAuditSigningKey } from '../src/audit/signing-key.ts';
import type { Level } from '../src/audit/types.ts';
import type { RequestInfo } from '../src/server/request-info.ts';
import type { LoadResult } from './load.ts';
import { runShapes } from './scenarios.ts';
import { spawnServer } from './server-process.ts';
import { ratio } from './stats.ts';

export interface AuditBenchOptions {
  connections: number;
  warmupMs: number;
  durationMs: number;
  progress: (msg: string) => void;
}

export interface AuditBenchResult {
  none: LoadResult | null;
  metadata: LoadResult | null;
  requestResponse: LoadResult | null;
  /** Throughput ratios, and the same per core of server CPU (steadier on a shared machine). */
  ratios: { metadataVsNone: number | null; requestResponseVsNone: number | null; perServerCore: { metadataVsNone: number | null; requestResponseVsNone: number | null } };
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

export async function runAuditBench(tmp: string, o: AuditBenchOptions): Promise<AuditBenchResult> {
  const got: Record<string, LoadResult | null> = {};
  for (const [name, level] of RUNS) {
    const dataDir = join(tmp, `audit-${name}`);
    const extra = JSON.parse(process.env.BENCH_CONTROL_PLANE ?? '{}') as Record<string, unknown>;
    if (level) extra.audit = { policy: { apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules: [{ level }] }, logPath: join(dataDir, 'audit.log') };
    o.progress(`audit: create with ${level ? `a ${level} policy for everything` : 'no audit'}`);
    const server = await spawnServer('portcullis', { dataDir, env: { BENCH_CONTROL_PLANE: JSON.stringify(extra) } });
    try {
      const r = await runShapes(server.target, { connections: o.connections, warmupMs: o.warmupMs, durationMs: o.durationMs, listSize: 0, createNamespaces: true, serverCpuMicros: () => server.cpuMicros(), progress: o.progress, only: new Set(['create']) });
      got[name] = r.create ?? null;
    } finally {
      await server.stop();
    }
  }
  const vs = (a: LoadResult | null) => (a && got.none ? ratio(a.rps, got.none.rps) : null);
  const perCore = (a: LoadResult | null) => (a?.rpsPerServerCore && got.none?.rpsPerServerCore ? ratio(a.rpsPerServerCore, got.none.rpsPerServerCore) : null);
  const ratios = {
    metadataVsNone: vs(got.metadata!),
    requestResponseVsNone: vs(got.requestResponse!),
    perServerCore: { metadataVsNone: perCore(got.metadata!), requestResponseVsNone: perCore(got.requestResponse!) },
  };
  const cost = { metadata: await recordCost(tmp, 'Metadata'), requestResponse: await recordCost(tmp, 'RequestResponse') };
  return {
    recordCpuMicrosPerRequest: { metadata: cost.metadata.allThreads, requestResponse: cost.requestResponse.allThreads },
    recordMainThreadCpuMicrosPerRequest: { metadata: cost.metadata.mainThread, requestResponse: cost.requestResponse.mainThread },
    none: got.none!,
    metadata: got.metadata!,
    requestResponse: got.requestResponse!,
    ratios,
    targets: {
      metadata90pct: ratios.metadataVsNone === null ? null : ratios.metadataVsNone >= 0.9,
      requestResponse70pct: ratios.requestResponseVsNone === null ? null : ratios.requestResponseVsNone >= 0.7,
    },
  };
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
