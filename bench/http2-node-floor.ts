/**
 * The floor under bench/http2-cost.ts: what Node itself costs per request over HTTP/1.1 and HTTP/2
 * with no framework, so that fastify's share can be told from Node's. A server child answers every
 * request with one fixed ConfigMap-sized JSON object: `h1raw` node:https, `h2compat` node:http2's
 * request/response API (what fastify's `http2` uses), `h2stream` its 'stream' API (no compat
 * objects). Mutual TLS, 100 clients with certificates of their own (ECDSA P-256), one GET in
 * flight each (bench/raw-client.ts for HTTP/1.1, bench/h2-client.ts for HTTP/2); the figure is the
 * server child's CPU (user + system from /proc, 10 ms ticks) per request over BENCH_H2_REQUESTS
 * (20000) after 2,000 to warm up, BENCH_H2_ROUNDS (3) rounds with the arms' order alternating.
 * Usage: node bench/http2-node-floor.ts
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createSecureServer } from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createCA } from '../src/pki/ca.ts';
import { issueCert } from '../src/pki/certs.ts';
import { H2Connection } from './h2-client.ts';
import { RawConnection } from './raw-client.ts';
import { percentile } from './stats.ts';
import { TS_EXEC_ARGV } from './ts-exec-argv.ts';

const MODES = ['h1raw', 'h2compat', 'h2stream'] as const;
type Mode = (typeof MODES)[number];

function serve(): void {
  const { mode, cert, key, ca } = JSON.parse(process.env.BENCH_FLOOR_SERVER ?? '{}') as { mode: Mode; cert: string; key: string; ca: string };
  const tls = { cert, key, ca, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' as const };
  const body = JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'n0', namespace: 'default', uid: '0b0e6d1c-9a7e-4c53-9d0a-1f7c2b3a4d5e', resourceVersion: '12345', creationTimestamp: new Date().toISOString() },
    data: { holderIdentity: 'n0', leaseDurationSeconds: '40', renewTime: new Date().toISOString() },
  });
  const headers = { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) };
  /** The same handler for node:https and node:http2's compat API (their request/response shapes). */
  interface Res {
    writeHead(status: number, h: typeof headers): unknown;
    end(b: string): unknown;
  }
  const compat = (req: { resume(): unknown; on(e: 'end', f: () => void): unknown }, res: Res) => {
    req.resume();
    req.on('end', () => (res.writeHead(200, headers), res.end(body)));
  };
  let server;
  if (mode === 'h1raw') {
    server = createHttpsServer(tls, (req, res) => compat(req, res));
    server.keepAliveTimeout = 72_000;
  } else if (mode === 'h2compat') server = createSecureServer(tls, (req, res) => compat(req, res));
  else {
    server = createSecureServer(tls);
    server.on('stream', (stream) => {
      stream.resume();
      stream.on('end', () => (stream.respond({ ':status': 200, ...headers }), stream.end(body)));
    });
  }
  const s = server;
  s.listen(0, '127.0.0.1', () => process.send?.({ port: (s.address() as AddressInfo).port }));
  process.on('disconnect', () => process.exit(0));
}

/** User + system CPU of a process in microseconds (/proc, clock ticks of 10 ms). */
const cpuMicros = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10_000;
};

async function measure(): Promise<void> {
  const CLIENTS = 100;
  const REQUESTS = Number(process.env.BENCH_H2_REQUESTS ?? 20_000);
  const ROUNDS = Number(process.env.BENCH_H2_ROUNDS ?? 3);
  const now = new Date();
  const ca = createCA({ commonName: 'floor-ca', now, validityDays: 1 });
  const srv = issueCert(ca, { commonName: 'floor-server', usage: 'server', now, validityDays: 1 });
  const certs = Array.from({ length: CLIENTS }, (_, i) => issueCert(ca, { commonName: `n${i}`, usage: 'client', now, validityDays: 1, keyAlgorithm: 'ECDSA-P256' }));
  const arm = async (mode: Mode): Promise<number> => {
    const env = { ...process.env, BENCH_FLOOR_SERVER: JSON.stringify({ mode, cert: srv.certPem, key: srv.keyPem, ca: ca.certPem }) };
    const child = fork(fileURLToPath(import.meta.url), ['serve'], { env, execArgv: [...TS_EXEC_ARGV], stdio: ['ignore', 2, 2, 'ipc'] });
    try {
      const { port } = await new Promise<{ port: number }>((resolve, reject) => (child.once('message', resolve), child.once('exit', reject)));
      const clients = certs.map((c) => {
        const t = { host: '127.0.0.1', port, tls: { caPem: ca.certPem, certPem: c.certPem, keyPem: c.keyPem } };
        return mode === 'h1raw' ? new RawConnection(t) : new H2Connection(t);
      });
      let seq = 0;
      const run = async (count: number) => {
        const stop = seq + count;
        await Promise.all(clients.map(async (c) => {
          while (seq < stop) {
            seq++;
            const r = await c.request('GET', '/api/v1/namespaces/default/configmaps/n0');
            if (r.status !== 200) throw new Error(`${mode}: ${r.status}`);
          }
        }));
      };
      await run(2000);
      const c0 = cpuMicros(child.pid!);
      await run(REQUESTS);
      const us = Math.round((cpuMicros(child.pid!) - c0) / REQUESTS);
      for (const c of clients) c.close();
      return us;
    } finally {
      child.kill();
    }
  };
  const rounds: Record<string, number[]> = {};
  for (let r = 0; r < ROUNDS; r++) {
    for (const mode of r % 2 ? [...MODES].reverse() : MODES) {
      (rounds[mode] ??= []).push(await arm(mode));
      process.stderr.write(`[http2-node-floor] round ${r}: ${mode} ${rounds[mode]!.at(-1)} µs server CPU per GET\n`);
    }
  }
  const median = Object.fromEntries(Object.entries(rounds).map(([m, v]) => [m, percentile([...v].sort((a, b) => a - b), 50)]));
  console.log(JSON.stringify({ settings: { clients: CLIENTS, requests: REQUESTS, rounds: ROUNDS }, serverCpuMicrosPerGet: { median, rounds } }, null, 2));
}

if (process.argv[2] === 'serve') serve();
else await measure();
