/**
 * The in-process harness of the CPU-per-write benches (update-path.ts, pod-writes.ts): a control
 * plane without controllers whose REST handler (dispatch) is called directly, with no HTTP, TLS,
 * authentication, authorization, flow control or audit in front, against the real store (SQLite
 * behind the watch cache); each answer is JSON-encoded as the server would. measure() takes the
 * process's CPU time (process.cpuUsage) over a case, the figure that holds on a loaded machine,
 * and with BENCH_CPU_PROF_DIR writes one V8 profile per case (bench/profile-summary.ts reads it).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startControlPlane, type ControlPlaneOptions } from '../src/server/control-plane.ts';
import { parseRequestInfo } from '../src/server/request-info.ts';
import { dispatch } from '../src/server/rest/dispatch.ts';
import type { RestContext, RestRequest } from '../src/server/rest/context.ts';
import { emptyOutcome } from '../src/admission/chain.ts';
import type { UserInfo } from '../src/authn/types.ts';

export const ADMIN: UserInfo = { username: 'admin', groups: ['system:masters', 'system:authenticated'] };

export function request(ctx: RestContext, method: string, path: string, body: unknown, contentType = 'application/json', agent = 'bench', user: UserInfo = ADMIN): RestRequest {
  const [p, q = ''] = path.split('?');
  const query = new URLSearchParams(q);
  const info = parseRequestInfo(method, p!, query);
  const def = ctx.registry.get(info.apiGroup, info.apiVersion, info.resource)!;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    info,
    def,
    user,
    query,
    headers: { 'content-type': contentType, 'user-agent': `${agent}/1.0` },
    body: Buffer.from(text),
    warnings: [],
    admission: emptyOutcome(),
  };
}

/** One write through dispatch; throws on a failure status; returns the encoded answer's length. */
export async function call(ctx: RestContext, method: string, path: string, body: unknown, contentType?: string, agent?: string, user?: UserInfo): Promise<number> {
  const res = await dispatch(ctx, request(ctx, method, path, body, contentType, agent, user));
  if (res.code >= 300) throw new Error(`${method} ${path}: ${res.code} ${JSON.stringify(res.body)}`);
  const text = res.raw ?? JSON.stringify(res.body);
  return text.length;
}

/** A GET through dispatch, parsed. */
export async function read<T>(ctx: RestContext, path: string): Promise<T> {
  const res = await dispatch(ctx, request(ctx, 'GET', path, ''));
  if (res.code >= 300) throw new Error(`GET ${path}: ${res.code}`);
  return JSON.parse(res.raw ?? JSON.stringify(res.body)) as T;
}

const PROF_DIR = process.env.BENCH_CPU_PROF_DIR;
const session = PROF_DIR ? new Session() : undefined;
session?.connect();
const post = (method: string): Promise<any> => new Promise((res, rej) => session!.post(method, (err, out) => (err ? rej(err) : res(out))));

export interface Measured {
  case: string;
  writes: number;
  cpuUsPerWrite: number;
  wallUsPerWrite: number;
}

/**
 * Runs run(from) .. run(from + n - 1), `concurrency` calls at a time, and returns CPU and wall time
 * per call (profiled with BENCH_CPU_PROF_DIR). Calls one at a time commit one write per store
 * transaction; several in flight share commits, as a loaded server's writes do.
 */
export async function measure(label: string, n: number, run: (i: number) => Promise<unknown>, from = 0, concurrency = 1): Promise<Measured> {
  if (session) {
    await post('Profiler.enable');
    await post('Profiler.start');
  }
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let next = from;
  const worker = async () => {
    while (next < from + n) await run(next++);
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  const cpu = process.cpuUsage(c0);
  const wall = Number(process.hrtime.bigint() - t0) / 1e3 / n;
  if (session) {
    const { profile } = await post('Profiler.stop');
    mkdirSync(PROF_DIR!, { recursive: true });
    writeFileSync(join(PROF_DIR!, `${label.replace(/[^a-z0-9]+/gi, '-')}.cpuprofile`), JSON.stringify(profile));
  }
  return { case: label, writes: n, cpuUsPerWrite: Math.round((cpu.user + cpu.system) / n), wallUsPerWrite: Math.round(wall) };
}

/**
 * The watch cache's history (watch-history.ts): events held and the JSON bytes they account for,
 * read from its private state behind the metrics wrapper (store-metrics.ts); benches may look.
 */
export function watchHistoryOf(store: unknown): { length: number; totalBytes: number } | undefined {
  const s = store as { inner?: unknown; state?: { history?: { length: number; totalBytes: number } } };
  return s.state?.history ?? (s.inner ? watchHistoryOf(s.inner) : undefined);
}

/** Starts a control plane with no controllers or scheduler (plus `extra` options) in a temporary directory, runs body, and removes it. */
export async function withControlPlane(body: (ctx: RestContext) => Promise<void>, extra: Partial<ControlPlaneOptions> = {}): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-dispatch-bench-'));
  const cp = await startControlPlane({ dataDir, port: 0, bindAddress: '127.0.0.1', logger: pino({ level: 'silent' }), durability: 'normal', controllers: [], scheduler: false, leaderElect: false, ...extra });
  try {
    await body(cp.server.ctx);
  } finally {
    await cp.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
