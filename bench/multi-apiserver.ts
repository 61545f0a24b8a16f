/**
 * Several API servers on one etcd (issue 18): ConfigMap create and GET throughput through one
 * API server, then through three (the same connections spread over them, the PKI copied from the
 * first), against the same etcd member in one run. API servers only (no controllers). On a
 * machine with fewer cores than servers the three share them: the number says what one etcd
 * takes from several servers, not how they would scale on their own machines.
 * BENCH_SCENARIOS=multi-apiserver.
 */
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startEtcd } from '../test/helpers/etcd.ts';
import { newAgent, runLoad, send, type LoadResult, type Target } from './load.ts';
import { spawnServer, type ServerProcess } from './server-process.ts';
import { CONFIGMAPS, configMapBody, namespaceBody } from './shapes.ts';
import { percentile, ratio } from './stats.ts';

export interface MultiApiServerOptions {
  connections: number;
  warmupMs: number;
  durationMs: number;
  progress: (msg: string) => void;
}

/** Latency in ms: the median of the servers' medians and the slowest server's p99 (exact with one server); null when no server answered. */
interface Latency {
  p50: number;
  p99: number;
}

interface Throughput {
  servers: number;
  createRps: number;
  getRps: number;
  createLatencyMs: Latency | null;
  getLatencyMs: Latency | null;
  errors: number;
  perServer: Array<{ create: LoadResult; get: LoadResult }>;
}

export interface MultiApiServerResult {
  one: Throughput;
  three: Throughput;
  ratios: { createThreeVsOne: number; getThreeVsOne: number };
}

const NS = 'bench-multi';

async function prepare(target: Target): Promise<void> {
  const agent = newAgent(target.tls);
  try {
    for (const [path, body] of [['/api/v1/namespaces', namespaceBody(NS)], [CONFIGMAPS(NS), configMapBody(NS, 'target')]] as const) {
      const r = await send(target, agent, { method: 'POST', path, body }, { keepBody: true });
      if (r.status !== 201 && r.status !== 409) throw new Error(`POST ${path} answered ${r.status}: ${r.body?.toString().slice(0, 300)}`);
    }
  } finally {
    agent.destroy();
  }
}

/** `connections` spread over `count` servers: server i's share (at least 1). */
const share = (connections: number, count: number, i: number) => Math.max(1, Math.floor(connections / count) + (i < connections % count ? 1 : 0));

/**
 * Creates through every server at once, the connections spread over them (etcd.ts runs this for
 * 1 vs 2 servers). `marks`: called with the first server's CPU samples, at the edges of the
 * measured window (other processes' CPU meters read at the same instants).
 */
export async function createLoads(servers: ServerProcess[], tag: string, o: MultiApiServerOptions, marks?: () => void): Promise<LoadResult[]> {
  const base = { warmupMs: o.warmupMs, durationMs: o.durationMs };
  return Promise.all(
    servers.map((s, i) => {
      const serverCpuMicros = i === 0 && marks ? () => (marks(), s.cpuMicros()) : () => s.cpuMicros();
      return runLoad({ ...base, target: s.target, connections: share(o.connections, servers.length, i), serverCpuMicros, request: (seq) => ({ method: 'POST', path: CONFIGMAPS(NS), body: configMapBody(NS, `${tag}-${i}-${seq}`), expectStatus: 201 }) });
    }),
  );
}

/** The connections spread over the servers, all loaded at once: creates, then GETs. */
async function measure(servers: ServerProcess[], tag: string, o: MultiApiServerOptions): Promise<Throughput> {
  const base = { warmupMs: o.warmupMs, durationMs: o.durationMs };
  const creates = await createLoads(servers, tag, o);
  const gets = await Promise.all(servers.map((s, i) => runLoad({ ...base, target: s.target, connections: share(o.connections, servers.length, i), request: () => ({ method: 'GET', path: `${CONFIGMAPS(NS)}/target`, expectStatus: 200 }) })));
  const sum = (rs: LoadResult[], f: (r: LoadResult) => number) => Math.round(rs.reduce((a, r) => a + f(r), 0) * 10) / 10;
  const latency = (rs: LoadResult[]): Latency | null => {
    // A server that completed nothing in the window has no latency (NaN), only its zero rate.
    const answered = rs.filter((r) => r.requests > 0);
    if (answered.length === 0) return null;
    return { p50: percentile(answered.map((r) => r.latencyMs.p50).sort((a, b) => a - b), 50), p99: Math.max(...answered.map((r) => r.latencyMs.p99)) };
  };
  return {
    servers: servers.length,
    createRps: sum(creates, (r) => r.rps),
    getRps: sum(gets, (r) => r.rps),
    createLatencyMs: latency(creates),
    getLatencyMs: latency(gets),
    errors: sum([...creates, ...gets], (r) => r.errors),
    perServer: servers.map((_, i) => ({ create: creates[i]!, get: gets[i]! })),
  };
}

/**
 * API servers number `from` to `to - 1` (no controllers) on these etcd members, one cluster (every
 * server after the first uses its CA and keys); the first makes the bench namespace. On failure
 * the ones started here are stopped.
 */
export async function startApiServers(tmp: string, etcdServers: string[], to: number, from = 0): Promise<ServerProcess[]> {
  const servers: ServerProcess[] = [];
  try {
    const env = { BENCH_CONTROL_PLANE: JSON.stringify({ etcd: { servers: etcdServers }, controllers: [], scheduler: false }) };
    for (let i = from; i < to; i++) {
      const dataDir = join(tmp, `apiserver-${i}`);
      mkdirSync(dataDir, { recursive: true });
      if (i > 0) cpSync(join(tmp, 'apiserver-0', 'pki'), join(dataDir, 'pki'), { recursive: true });
      servers.push(await spawnServer('portcullis', { dataDir, env }));
    }
    if (from === 0 && servers[0]) await prepare(servers[0].target);
    return servers;
  } catch (err) {
    await Promise.all(servers.map((s) => s.stop()));
    throw err;
  }
}

export async function runMultiApiServerBench(tmp: string, o: MultiApiServerOptions): Promise<MultiApiServerResult> {
  const etcd = await startEtcd(1);
  let servers: ServerProcess[] = [];
  try {
    servers = await startApiServers(tmp, etcd.servers, 3);
    o.progress(`multi-apiserver: create and get through 1 API server, ${o.connections} connections`);
    const one = await measure(servers.slice(0, 1), 'one', o);
    o.progress(`  create ${one.createRps} req/s (p99 ${one.createLatencyMs?.p99} ms), get ${one.getRps} req/s (p99 ${one.getLatencyMs?.p99} ms)`);
    o.progress(`multi-apiserver: the same through 3 API servers on the same etcd`);
    const three = await measure(servers, 'three', o);
    o.progress(`  create ${three.createRps} req/s (p99 ${three.createLatencyMs?.p99} ms), get ${three.getRps} req/s (p99 ${three.getLatencyMs?.p99} ms)`);
    return { one, three, ratios: { createThreeVsOne: ratio(three.createRps, one.createRps), getThreeVsOne: ratio(three.getRps, one.getRps) } };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await etcd.stop();
  }
}
