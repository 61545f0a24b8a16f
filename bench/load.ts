import { Agent, request } from 'node:https';
import { performance } from 'node:perf_hooks';
import { RawConnection } from './raw-client.ts';
import { round, summarize, type LatencySummary } from './stats.ts';

export interface TlsClientMaterial {
  caPem: string;
  certPem: string;
  keyPem: string;
}

export interface Target {
  host: string;
  port: number;
  tls: TlsClientMaterial;
}

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  body?: string;
  expectStatus: number;
}

export interface LoadOptions {
  target: Target;
  /** Concurrent keep-alive TLS connections, one closed-loop worker each. */
  connections: number;
  warmupMs: number;
  durationMs: number;
  /** Builds request number `seq` (global, increasing) for connection `conn`. */
  request: (seq: number, conn: number) => RequestSpec;
  /** Cumulative CPU microseconds of the server process, sampled at the edges of the window. */
  serverCpuMicros?: () => Promise<number>;
  /** Per-request timeout. */
  timeoutMs?: number;
}

export interface LoadResult {
  connections: number;
  durationMs: number;
  requests: number;
  rps: number;
  latencyMs: LatencySummary;
  errors: number;
  statuses: Record<string, number>;
  bytesPerResponse: number;
  /** CPU used during the measured window as % of one core. */
  clientCpuPct: number;
  serverCpuPct?: number;
  /** Requests per second of server CPU: throughput independent of whether the client saturated first. */
  rpsPerServerCore?: number;
}

export interface SendResult {
  status: number;
  bytes: number;
  body?: Buffer;
}

/** One keep-alive agent per connection so that N workers really hold N TLS connections. */
export function newAgent(tls: TlsClientMaterial): Agent {
  return new Agent({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1, ca: tls.caPem, cert: tls.certPem, key: tls.keyPem });
}

export function send(target: Target, agent: Agent, spec: Omit<RequestSpec, 'expectStatus'>, opts: { keepBody?: boolean; timeoutMs?: number } = {}): Promise<SendResult> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { accept: 'application/json' };
    if (spec.body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(spec.body);
    }
    const req = request({ host: target.host, port: target.port, method: spec.method, path: spec.path, agent, headers }, (res) => {
      let bytes = 0;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (opts.keepBody) chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, body: opts.keepBody ? Buffer.concat(chunks) : undefined }));
      res.on('error', reject);
    });
    req.setTimeout(opts.timeoutMs ?? 10_000, () => req.destroy(new Error(`timeout: ${spec.method} ${spec.path}`)));
    req.on('error', reject);
    req.end(spec.body);
  });
}

/** A closed loop: each connection sends its next request when the previous answer has been read. */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const conns = Array.from({ length: o.connections }, () => new RawConnection(o.target));
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let seq = 0;
  let bytes = 0;
  const start = performance.now();
  const measureStart = start + o.warmupMs;
  const end = measureStart + o.durationMs;
  // Safety net: never more than 10 M requests, whatever the timing says.
  const maxRequests = 10_000_000;

  let cpuStart: NodeJS.CpuUsage | undefined;
  let serverCpuStart: Promise<number> | undefined;
  const startTimer = setTimeout(() => {
    cpuStart = process.cpuUsage();
    serverCpuStart = o.serverCpuMicros?.();
  }, o.warmupMs);

  const worker = async (conn: number) => {
    while (performance.now() < end && seq < maxRequests) {
      const spec = o.request(seq++, conn);
      const t0 = performance.now();
      let status = 0;
      try {
        const r = await conns[conn]!.request(spec.method, spec.path, spec.body, o.timeoutMs);
        status = r.status;
        if (t0 >= measureStart) bytes += r.bytes;
      } catch {
        status = -1;
      }
      const t1 = performance.now();
      if (t0 < measureStart) continue;
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status !== spec.expectStatus) errors++;
      latencies.push(t1 - t0);
    }
  };
  await Promise.all(conns.map((_, i) => worker(i)));
  clearTimeout(startTimer);
  const finished = performance.now();
  const windowMs = finished - measureStart;
  const cpu = cpuStart ? process.cpuUsage(cpuStart) : undefined;
  let serverCpuPct: number | undefined;
  if (o.serverCpuMicros && serverCpuStart) {
    const [a, b] = await Promise.all([serverCpuStart, o.serverCpuMicros()]);
    serverCpuPct = round(((b - a) / 1000 / windowMs) * 100, 1);
  }
  for (const c of conns) c.close();
  return {
    connections: o.connections,
    durationMs: round(windowMs, 0),
    requests: latencies.length,
    rps: round((latencies.length / windowMs) * 1000, 1),
    latencyMs: summarize(latencies),
    errors,
    statuses,
    bytesPerResponse: latencies.length ? Math.round(bytes / latencies.length) : 0,
    clientCpuPct: cpu ? round(((cpu.user + cpu.system) / 1000 / windowMs) * 100, 1) : NaN,
    serverCpuPct,
    rpsPerServerCore: serverCpuPct ? round((latencies.length / windowMs) * 1000 / (serverCpuPct / 100), 1) : undefined,
  };
}
