/**
 * Memory per kept-alive client connection of the API server (issue 12: 5,000 kubelets hold their
 * connections open): a control plane in its own process (bench/server-process.ts, the flags `portcullis
 * up` runs with), then steps of N TLS connections from this process, each authenticated by a
 * client certificate as a kubelet's, sending one GET and then left idle. After each step the
 * server's RSS (/proc) and its heap in use after a full GC; the figure per connection is the
 * difference between the first and the last step, so start-up and first-use costs drop out.
 * Usage: node bench/connection-memory.ts [steps=4] [per step=500]
 *   BENCH_CONN_REQUESTS=K sends K requests on each connection before it idles (default 1).
 * Where the bytes go, read with heaptrack on a plain node:tls server (2026-12-07, Node 24.22,
 * OpenSSL 3.5; allocations alive per connection): the read buffer Node's TLSWrap takes for its
 * encrypted input (libuv's 64 KiB suggested size, kept for the socket's life, touched only as far
 * as data was written into it), OpenSSL's two record layers (8.8 KB), the SSL object (5.6 KB),
 * the client's ML-KEM-768 key share kept after the handshake (6.1 KB, the X25519MLKEM768 group),
 * cipher contexts, session and peer certificate (~5 KB), the output buffer (2.3 KB); the
 * JavaScript side (socket, HTTP parser, the server's own state) 6-8 KB of heap.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { rssOf } from './scale-observe.ts';
import { spawnServer } from './server-process.ts';
import { round } from './stats.ts';

const STEPS = Number(process.argv[2] ?? 4);
const PER_STEP = Number(process.argv[3] ?? 500);
const REQUESTS = Number(process.env.BENCH_CONN_REQUESTS ?? 1);
const IN_FLIGHT = 50;

const dataDir = mkdtempSync(join(tmpdir(), 'conn-memory-'));
const server = await spawnServer('portcullis', { dataDir, env: { BENCH_CONTROL_PLANE: JSON.stringify({ controllers: [], leaderElect: false, scheduler: false }) } });
const { host, port, tls } = server.target;
const sockets: TLSSocket[] = [];

/** One connection: REQUESTS GETs one after another, then it stays open. */
function open(): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port, ca: tls.caPem, cert: tls.certPem, key: tls.keyPem, servername: 'localhost' });
    let sent = 0;
    let got = '';
    const send = () => (sent++, s.write(`GET /api/v1/namespaces/default HTTP/1.1\r\nhost: ${host}:${port}\r\naccept: application/json\r\n\r\n`));
    s.once('secureConnect', send);
    s.on('error', reject);
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      // Small bodies with a content-length: the end of one answer is its body's last byte.
      const m = /\r\ncontent-length: (\d+)\r\n[\s\S]*?\r\n\r\n/i.exec(got);
      if (!m || got.length < m.index + m[0].length + Number(m[1])) return;
      if (!got.startsWith('HTTP/1.1 200')) return reject(new Error(got.slice(0, 200)));
      got = '';
      if (sent < REQUESTS) return send();
      sockets.push(s);
      resolve();
    });
  });
}

async function openMany(n: number): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, n) }, async () => {
    while (next++ < n) await open();
  }));
}

try {
  const rows: Array<{ connections: number; rssMiB: number; heapUsedAfterGcMiB: number }> = [];
  const sample = async () => {
    await new Promise((r) => setTimeout(r, 1500));
    const heap = await server.heapUsedAfterGc();
    rows.push({ connections: sockets.length, rssMiB: rssOf(server.pid).rss ?? NaN, heapUsedAfterGcMiB: round(heap / 1048576, 1) });
    process.stderr.write(`${JSON.stringify(rows.at(-1))}\n`);
  };
  await sample();
  for (let i = 0; i < STEPS; i++) {
    await openMany(PER_STEP);
    await sample();
  }
  const a = rows[1]!;
  const b = rows.at(-1)!;
  const n = b.connections - a.connections;
  const per = (x: number, y: number) => Math.round(((y - x) * 1048576) / n);
  process.stdout.write(`${JSON.stringify({ requestsPerConnection: REQUESTS, rows, perConnection: { rssBytes: per(a.rssMiB, b.rssMiB), heapBytes: per(a.heapUsedAfterGcMiB, b.heapUsedAfterGcMiB) } }, null, 2)}\n`);
} finally {
  for (const s of sockets) s.destroy();
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
