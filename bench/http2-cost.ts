/**
 * Would serving HTTP/2 cut the API server's CPU per request and memory per connection (issue 12)?
 * Bare fastify over mutual TLS (bench/baseline-fastify.ts) in its own process, once as today
 * (HTTP/1.1 only) and once with fastify `http2: true` + `allowHTTP1`, each client a node with a
 * client certificate of its own (ECDSA P-256, as a kubelet's).
 *
 *   node bench/http2-cost.ts cpu      server CPU per small GET and per PUT (a Lease renewal's
 *     size), closed loop, one request in flight per client, for each count in BENCH_H2_CLIENTS
 *     (default 100,1000); BENCH_H2_REQUESTS measured per op (default 20000) after 2,000 to warm
 *     up; BENCH_H2_ROUNDS rounds (default 2), the arms alternating their order each round, a fresh
 *     server per arm. Also the server's CPU per connection opened (the TLS handshakes).
 *     BENCH_H2_STREAMS=K (default 1): K requests in flight per client, as the scheduler's binds
 *     or a controller's workers: on HTTP/1.1 K connections per client, on HTTP/2 K streams of one.
 *   node bench/http2-cost.ts memory   server RSS and heap after a full GC per client with
 *     BENCH_H2_CLIENTS (default 1000,5000) clients held open: on HTTP/1.1 each client has two
 *     connections (its watch, streaming, and its requests), on HTTP/2 one connection carrying its
 *     watch stream and its requests; one GET done per client. The figure per client is the slope
 *     between the counts (start-up and first use drop out) and from zero to the first.
 *     BENCH_H2_SYSCALLS=1: the server's system calls per request as well (perf stat on the
 *     kernel's tracepoints; counts, not time), in a run of their own as counting costs a little.
 *     BENCH_CPU_PROF=<dir>: a V8 CPU profile of the server per measured op
 *     (<dir>/fastify-<arm>-<clients>x<streams>-<op>-r<round>.cpuprofile; bench/profile-summary.ts reads them).
 * Arms (BENCH_H2_ARMS, default h1,h2): h1 = HTTP/1.1 server and clients; h2 = HTTP/2 server and
 * node:http2 clients; h1on2 = HTTP/2-enabled server with HTTP/1.1 clients (what exec, attach and
 * any HTTP/1.1-only client would get). The HTTP/1.1 clients are bench/raw-client.ts (cheap); the
 * HTTP/2 ones node:http2 (dearer: the client CPU per request is printed too, as on 2 shared cores
 * a slower client changes how many requests the server finds per wake-up).
 * Prints one JSON document. CPU and memory figures hold on a loaded machine; rates do not.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { connect } from 'node:tls';
import { createCA, type CertKeyPem } from '../src/pki/ca.ts';
import { issueCert } from '../src/pki/certs.ts';
import { H2Connection } from './h2-client.ts';
import type { Target } from './load.ts';
import { RawConnection, type RawResponse } from './raw-client.ts';
import { rssOf } from './scale-observe.ts';
import { spawnServer, type ServerProcess } from './server-process.ts';
import { countSyscalls, type SyscallCounts } from './syscall-count.ts';
import { percentile, round } from './stats.ts';

type Arm = 'h1' | 'h2' | 'h1on2';
const env = process.env;
const MODE = process.argv[2] === 'memory' ? 'memory' : 'cpu';
const ARMS = (env.BENCH_H2_ARMS ?? 'h1,h2').split(',') as Arm[];
const CLIENTS = (env.BENCH_H2_CLIENTS ?? (MODE === 'cpu' ? '100,1000' : '1000,5000')).split(',').map(Number);
const REQUESTS = Number(env.BENCH_H2_REQUESTS ?? 20_000);
const ROUNDS = Number(env.BENCH_H2_ROUNDS ?? 2);
const STREAMS = Number(env.BENCH_H2_STREAMS ?? 1);
const SYSCALLS = env.BENCH_H2_SYSCALLS === '1';
const PROF = env.BENCH_CPU_PROF ? resolve(env.BENCH_CPU_PROF) : undefined;
const WARMUP = 2000;
const OPEN_IN_FLIGHT = 50;
const NS = '/api/v1/namespaces/default/configmaps';

const now = new Date();
const ca = createCA({ commonName: 'h2-bench-ca', now, validityDays: 1 });
const t0 = Date.now();
const certs: CertKeyPem[] = Array.from({ length: Math.max(...CLIENTS) }, (_, i) =>
  issueCert(ca, { commonName: `system:node:n${i}`, organizations: ['system:nodes'], usage: 'client', now, validityDays: 1, keyAlgorithm: 'ECDSA-P256' }),
);
process.stderr.write(`[http2-cost] ${certs.length} client certificates in ${Date.now() - t0} ms\n`);

// A ConfigMap the size of a Lease renewal.
const body = (i: number, n: number) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `n${i}`, namespace: 'default' }, data: { holderIdentity: `n${i}`, leaseDurationSeconds: '40', renewTime: new Date(n).toISOString() } });

interface Client {
  request(method: string, path: string, body?: string): Promise<RawResponse>;
  /** HTTP/2: a stream on the same connection; HTTP/1.1: a second connection. */
  watch(path: string): Promise<number>;
  close(): void;
}

/** A watch on its own HTTP/1.1 connection: resolves with the status on the first bytes of the first event. */
function h1Watch(t: Target, path: string, sockets: Array<{ destroy(): void }>): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: t.host, port: t.port, ca: t.tls.caPem, cert: t.tls.certPem, key: t.tls.keyPem }, () =>
      s.write(`GET ${path} HTTP/1.1\r\nhost: ${t.host}:${t.port}\r\naccept: application/json\r\n\r\n`),
    );
    sockets.push(s);
    let got = '';
    const onData = (d: Buffer) => {
      got += d.toString('latin1');
      // The head and the first chunk's data.
      if (!/\r\n\r\n[0-9a-f]+\r\n./.test(got)) return;
      s.off('data', onData);
      resolve(Number(got.slice(9, 12)));
    };
    s.on('data', onData);
    s.once('error', reject);
  });
}

function client(arm: Arm, t: Target): Client {
  if (arm === 'h2') {
    const c = new H2Connection(t);
    return { request: (m, p, b) => c.request(m, p, b), watch: (p) => c.watch(p), close: () => c.close() };
  }
  const c = new RawConnection(t);
  const extra: Array<{ destroy(): void }> = [];
  return {
    request: (m, p, b) => c.request(m, p, b),
    watch: (p) => h1Watch(t, p, extra),
    close: () => (c.close(), extra.forEach((s) => s.destroy())),
  };
}

async function startServer(arm: Arm): Promise<ServerProcess> {
  return spawnServer('fastify', { cpuProfDir: PROF, env: { BENCH_FASTIFY_HTTP2: arm === 'h1' ? '0' : '1', BENCH_FASTIFY_CA: JSON.stringify(ca) } });
}

const targetFor = (s: ServerProcess, i: number): Target => ({ ...s.target, tls: { caPem: ca.certPem, certPem: certs[i]!.certPem, keyPem: certs[i]!.keyPem } });

/** Runs f for clients from..to-1, OPEN_IN_FLIGHT at a time. */
async function forEachClient(from: number, to: number, f: (i: number) => Promise<void>): Promise<void> {
  let next = from;
  await Promise.all(Array.from({ length: Math.min(OPEN_IN_FLIGHT, to - from) }, async () => {
    while (next < to) await f(next++);
  }));
}

const cpuNow = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

interface OpCost {
  serverCpuMicros: number;
  clientCpuMicros: number;
  /** With BENCH_H2_SYSCALLS=1: the server's system calls per request, by name. */
  serverSyscalls?: SyscallCounts;
}

interface CpuResult {
  arm: Arm;
  clients: number;
  serverCpuMicrosPerConnection: number;
  get: OpCost;
  put: OpCost;
}

async function cpuArm(arm: Arm, n: number, roundNo: number): Promise<CpuResult> {
  const server = await startServer(arm);
  const clients: Client[] = [];
  try {
    const c0 = await server.cpuMicros();
    // clients[w] carries the requests of worker w, one in flight, for client w % n: a connection of
    // its own on HTTP/1.1, a stream of the client's one connection on HTTP/2.
    for (let i = 0; i < n; i++) clients.push(client(arm, targetFor(server, i)));
    for (let k = 1; k < STREAMS; k++) for (let i = 0; i < n; i++) clients.push(arm === 'h2' ? clients[i]! : client(arm, targetFor(server, i)));
    // The first request on each connection opens it (the first of each client creates its
    // object); the CPU per connection is over these, one request each. HTTP/2's further streams
    // open no connection, so its figure stops before them.
    await forEachClient(0, n, async (i) => {
      const r = await clients[i]!.request('POST', NS, body(i, Date.now()));
      if (r.status !== 201) throw new Error(`${arm} create n${i}: ${r.status}`);
    });
    const c1 = await server.cpuMicros();
    await forEachClient(n, clients.length, async (w) => {
      const r = await clients[w]!.request('GET', `${NS}/n${w % n}`);
      if (r.status !== 200) throw new Error(`${arm} get n${w % n}: ${r.status}`);
    });
    const perConnection = arm === 'h2' ? (c1 - c0) / n : ((await server.cpuMicros()) - c0) / clients.length;
    let seq = 0;
    const run = async (op: 'get' | 'put', count: number) => {
      const stop = seq + count;
      await Promise.all(clients.map(async (c, w) => {
        const i = w % n;
        while (seq < stop) {
          seq++;
          const r = op === 'get' ? await c.request('GET', `${NS}/n${i}`) : await c.request('PUT', `${NS}/n${i}`, body(i, seq));
          if (r.status !== 200) throw new Error(`${arm} ${op} n${i}: ${r.status}`);
        }
      }));
    };
    const measure = async (op: 'get' | 'put') => {
      await run(op, WARMUP);
      const save = await server.profile();
      const counting = SYSCALLS ? await countSyscalls(server.pid) : undefined;
      const s0 = await server.cpuMicros();
      const k0 = cpuNow();
      await run(op, REQUESTS);
      const k1 = cpuNow();
      const s1 = await server.cpuMicros();
      const calls = await counting?.();
      await save(`${arm}-${n}x${STREAMS}-${op}-r${roundNo}`);
      const cost: OpCost = { serverCpuMicros: round((s1 - s0) / REQUESTS, 1), clientCpuMicros: round((k1 - k0) / REQUESTS, 1) };
      if (calls) cost.serverSyscalls = Object.fromEntries(Object.entries(calls).map(([k, v]) => [k, round(v / REQUESTS, 2)]));
      return cost;
    };
    const get = await measure('get');
    const put = await measure('put');
    return { arm, clients: n, serverCpuMicrosPerConnection: Math.round(perConnection), get, put };
  } finally {
    for (const c of new Set(clients)) c.close();
    await server.stop();
  }
}

interface MemoryRow {
  clients: number;
  connections: number;
  rssMiB: number;
  heapUsedAfterGcMiB: number;
}

async function memoryArm(arm: Arm): Promise<{ arm: Arm; rows: MemoryRow[]; perClient: Record<string, { rssBytes: number; heapBytes: number }> }> {
  const server = await startServer(arm);
  const clients: Client[] = [];
  const rows: MemoryRow[] = [];
  const sample = async () => {
    await new Promise((r) => setTimeout(r, 1500));
    const heap = await server.heapUsedAfterGc();
    const n = clients.length;
    rows.push({ clients: n, connections: arm === 'h2' ? n : 2 * n, rssMiB: rssOf(server.pid).rss ?? NaN, heapUsedAfterGcMiB: round(heap / 1048576, 1) });
    process.stderr.write(`[http2-cost] ${arm} ${JSON.stringify(rows.at(-1))}\n`);
  };
  try {
    await sample();
    for (const n of CLIENTS) {
      const from = clients.length;
      for (let i = from; i < n; i++) clients.push(client(arm, targetFor(server, i)));
      await forEachClient(from, n, async (i) => {
        const c = clients[i]!;
        const w = await c.watch(`${NS}?watch=1`);
        const r = await c.request('GET', NS);
        if (w !== 200 || r.status !== 200) throw new Error(`${arm} client ${i}: watch ${w}, list ${r.status}`);
      });
      await sample();
    }
    const perClient: Record<string, { rssBytes: number; heapBytes: number }> = {};
    for (let i = 1; i < rows.length; i++) {
      const a = rows[i === 1 ? 0 : i - 1]!;
      const b = rows[i]!;
      const per = (x: number, y: number) => Math.round(((y - x) * 1048576) / (b.clients - a.clients));
      perClient[`${a.clients}->${b.clients}`] = { rssBytes: per(a.rssMiB, b.rssMiB), heapBytes: per(a.heapUsedAfterGcMiB, b.heapUsedAfterGcMiB) };
    }
    return { arm, rows, perClient };
  } finally {
    for (const c of clients) c.close();
    await server.stop();
  }
}

if (MODE === 'cpu') {
  if (PROF) mkdirSync(PROF, { recursive: true });
  const results: CpuResult[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const n of CLIENTS) {
      for (const arm of r % 2 ? [...ARMS].reverse() : ARMS) {
        results.push(await cpuArm(arm, n, r));
        process.stderr.write(`[http2-cost] round ${r}: ${JSON.stringify(results.at(-1))}\n`);
      }
    }
  }
  const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
  const summary = CLIENTS.flatMap((n) =>
    ARMS.map((arm) => {
      const mine = results.filter((x) => x.arm === arm && x.clients === n);
      return {
        arm,
        clients: n,
        serverCpuMicrosPerGet: median(mine.map((x) => x.get.serverCpuMicros)),
        serverCpuMicrosPerPut: median(mine.map((x) => x.put.serverCpuMicros)),
        serverCpuMicrosPerConnection: median(mine.map((x) => x.serverCpuMicrosPerConnection)),
      };
    }),
  );
  console.log(JSON.stringify({ settings: { mode: MODE, arms: ARMS, clients: CLIENTS, streamsPerClient: STREAMS, requests: REQUESTS, rounds: ROUNDS }, summary, results }, null, 2));
} else {
  const results = [];
  for (const arm of ARMS) results.push(await memoryArm(arm));
  console.log(JSON.stringify({ settings: { mode: MODE, arms: ARMS, clients: CLIENTS }, results }, null, 2));
}
