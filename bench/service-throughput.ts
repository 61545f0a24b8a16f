/**
 * Service ClusterIP against the pod's own address, in one run: a client pod and a server pod in
 * network namespaces routed by a node namespace that carries the service proxy's nftables table
 * (services.ts, as the agent renders it). The same client measures, alternately through the
 * ClusterIP and to the pod IP: bulk TCP throughput on one connection, request/response rate on a
 * kept connection (64-byte messages), and new connections per second (connect, one exchange,
 * close: each one a conntrack entry and, through the ClusterIP, a DNAT decision). Root and
 * nftables needed; skipped (and said so) otherwise.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { renderServices } from '../src/cluster/agent/network/services.ts';
import { RoutedNode } from '../test/helpers/netns.ts';
import { canLoad } from './netpol.ts';
import { ratio, round } from './stats.ts';

const CLUSTER_IP = '10.96.200.50';
const SERVER_IP = '10.244.230.11';
const CLIENT_IP = '10.244.230.10';

/** Port 8080 counts what it receives and answers the count at the end; 8081 echoes. */
const SERVER = `
const net = require('node:net');
net.createServer((s) => { let n = 0; s.on('data', (d) => { n += d.length; }); s.on('end', () => s.end(String(n))); s.on('error', () => {}); }).listen(8080, '0.0.0.0');
net.createServer((s) => { s.on('data', (d) => s.write(d)); s.on('error', () => {}); }).listen(8081, '0.0.0.0', () => process.stdout.write('ready\\n'));
`;

const CLIENT = `
const net = require('node:net');
const [host, bulkPort, rrPort, ms] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3]), Number(process.argv[4])];
const msg = Buffer.alloc(64, 7);
function bulk() {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port: bulkPort });
    const chunk = Buffer.alloc(64 * 1024, 1);
    let t0; let reply = '';
    s.on('error', reject);
    s.on('data', (d) => { reply += d; });
    s.on('end', () => resolve({ mbPerS: Number(reply) / 1e6 / ((performance.now() - t0) / 1000) }));
    s.on('connect', () => {
      t0 = performance.now();
      const pump = () => { while (performance.now() - t0 < ms) { if (!s.write(chunk)) return s.once('drain', pump); } s.end(); };
      pump();
    });
  });
}
function exchange(s) { return new Promise((resolve) => { let got = 0; const on = (d) => { got += d.length; if (got >= 64) { s.off('data', on); resolve(); } }; s.on('data', on); s.write(msg); }); }
async function rr() {
  const s = net.connect({ host, port: rrPort });
  s.setNoDelay(true);
  await new Promise((r, j) => { s.on('connect', r); s.on('error', j); });
  let n = 0; const t0 = performance.now();
  while (performance.now() - t0 < ms) { await exchange(s); n++; }
  s.destroy();
  return { perS: n / ((performance.now() - t0) / 1000) };
}
async function conns() {
  let n = 0; const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    const s = net.connect({ host, port: rrPort });
    s.setNoDelay(true);
    await new Promise((r, j) => { s.on('connect', r); s.on('error', j); });
    await exchange(s);
    await new Promise((r) => { s.on('close', r); s.end(); s.destroy(); });
    n++;
  }
  return { perS: n / ((performance.now() - t0) / 1000) };
}
(async () => {
  const out = { bulk: await bulk(), requestResponse: await rr(), newConnections: await conns() };
  process.stdout.write(JSON.stringify(out));
})().catch((err) => { process.stdout.write(JSON.stringify({ error: err.message })); });
`;

interface Sample {
  bulk: { mbPerS: number };
  requestResponse: { perS: number };
  newConnections: { perS: number };
  error?: string;
}

function runIn(netns: string, script: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout!.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('exit', () => resolve(out));
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

export async function benchServiceThroughput(opts: { rounds?: number; durationMs?: number } = {}) {
  if (!canLoad()) return { skipped: 'needs root and nftables (network namespaces and the service table)' };
  const node = new RoutedNode();
  let server: ChildProcess | undefined;
  try {
    node.addHost('client', CLIENT_IP);
    node.addHost('server', SERVER_IP);
    // The service table as the agent's proxy renders it: the ClusterIP's ports 80/81 to the pod's 8080/8081.
    node.loadNftables(renderServices(['bulk', 'rr'].map((name, i) => ({ id: `bench/svc:${name}`, clusterIPs: [CLUSTER_IP], protocol: 'tcp' as const, port: 80 + i, endpoints: [{ ip: SERVER_IP, port: 8080 + i }] }))));
    const serverNs = node.hosts[1]!.netns;
    server = spawn('ip', ['netns', 'exec', serverNs, process.execPath, '-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => server!.stdout!.once('data', () => resolve()));
    const ms = opts.durationMs ?? 2000;
    const direct: Sample[] = [];
    const viaService: Sample[] = [];
    for (let r = 0; r < (opts.rounds ?? 3); r++) {
      // Alternated, so both see the same machine load.
      for (const [target, ports, into] of [[SERVER_IP, ['8080', '8081'], direct], [CLUSTER_IP, ['80', '81'], viaService]] as const) {
        const s = JSON.parse(await runIn(node.hosts[0]!.netns, CLIENT, [target, ports[0], ports[1], String(ms)])) as Sample;
        if (s.error) throw new Error(`client to ${target}: ${s.error}`);
        into.push(s);
      }
    }
    const sum = (xs: Sample[]) => ({
      bulkMBps: round(median(xs.map((x) => x.bulk.mbPerS)), 1),
      requestResponsePerS: round(median(xs.map((x) => x.requestResponse.perS)), 0),
      newConnectionsPerS: round(median(xs.map((x) => x.newConnections.perS)), 0),
    });
    const d = sum(direct);
    const v = sum(viaService);
    return {
      note: `medians of ${direct.length} alternating rounds of ${ms} ms per measure; client and server pods on one node (routed veths)`,
      podIp: d,
      clusterIp: v,
      ratios: { bulk: ratio(v.bulkMBps, d.bulkMBps), requestResponse: ratio(v.requestResponsePerS, d.requestResponsePerS), newConnections: ratio(v.newConnectionsPerS, d.newConnectionsPerS) },
    };
  } finally {
    server?.kill('SIGKILL');
    node.destroy();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchServiceThroughput().then((r) => process.stdout.write(JSON.stringify(r, null, 2) + '\n'));
}
