/**
 * Server CPU per create at a fixed number of creates, on SQLite and on etcd: the figure that
 * holds on a shared, loaded machine, where creates per second only follow the share of a core the
 * server is given. On etcd it also reads etcd's own gRPC counters, so the RPCs one create costs
 * (Txn, Range, watch messages) are counted rather than guessed.
 *
 * Usage: node --import tsx bench/create-cpu.ts
 * Knobs: BENCH_CREATES (3000 measured, after 1000 to warm up), BENCH_CONNECTIONS (20),
 * BENCH_ROUNDS (2; the stores alternate), BENCH_STORES=sqlite,etcd, BENCH_CPU_PROF=<dir> (one V8
 * profile per measured round), BENCH_CONTROL_PLANE (extra control plane options as JSON).
 * Prints one JSON document: per store the CPU microseconds per create of each round and their
 * median, creates per second, the idle server's CPU, its system calls per create (perf stat, when
 * perf can attach) and, on etcd, RPCs per create.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startEtcd, type EtcdCluster } from '../test/helpers/etcd.ts';
import { RawConnection } from './raw-client.ts';
import { spawnServer } from './server-process.ts';
import { CONFIGMAPS, configMapBody, namespaceBody } from './shapes.ts';
import { percentile, round } from './stats.ts';
import { countSyscalls } from './syscall-count.ts';

const env = process.env;
const CREATES = Number(env.BENCH_CREATES ?? 3000);
const WARMUP = 1000;
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 20);
const ROUNDS = Number(env.BENCH_ROUNDS ?? 2);
const STORES = (env.BENCH_STORES ?? 'sqlite,etcd').split(',').map((s) => s.trim()).filter(Boolean);
const EXTRA = JSON.parse(env.BENCH_CONTROL_PLANE ?? '{}') as Record<string, unknown>;
const PROF = env.BENCH_CPU_PROF ? resolve(env.BENCH_CPU_PROF) : undefined;
const NS = 'bench-cpu';

for (const s of STORES) if (s !== 'sqlite' && s !== 'etcd') throw new Error(`BENCH_STORES: unknown store ${s} (sqlite, etcd)`);

interface Round {
  cpuMicrosPerCreate: number;
  createsPerSec: number;
  idleCpuPct: number;
  /** etcd only: gRPC messages per create by counter and method, from etcd's /metrics. */
  etcdPerCreate?: Record<string, number>;
  /** The server's system calls per create, by name (perf stat; absent without perf). */
  syscallsPerCreate?: Record<string, number>;
}

const progress = (msg: string) => process.stderr.write(`[create-cpu] ${msg}\n`);

/** etcd's grpc_server_* counters, by their full label set. */
async function etcdCounters(etcd: EtcdCluster | undefined): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (!etcd) return out;
  const text = await (await fetch(`${etcd.servers[0]}/metrics`)).text();
  for (const line of text.split('\n')) {
    if (!/^grpc_server_(handled|msg_sent|msg_received)_total\{/.test(line)) continue;
    const sp = line.lastIndexOf(' ');
    out.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return out;
}

function perCreate(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    if (d <= 0) continue;
    const counter = /^grpc_server_(\w+)_total/.exec(k)![1];
    const method = /grpc_method="([^"]+)"/.exec(k)?.[1] ?? '?';
    const code = /grpc_code="([^"]+)"/.exec(k)?.[1];
    out[`${counter} ${method}${code ? ` ${code}` : ''}`] = round(d / CREATES, 3);
  }
  return out;
}

async function measure(store: string, dataDir: string, roundNo: number): Promise<Round> {
  const etcd = store === 'etcd' ? await startEtcd(1) : undefined;
  const extra = etcd ? { ...EXTRA, etcd: { servers: etcd.servers } } : EXTRA;
  const server = await spawnServer('portcullis', { dataDir, env: { BENCH_CONTROL_PLANE: JSON.stringify(extra) }, cpuProfDir: PROF });
  const conns = Array.from({ length: CONNECTIONS }, () => new RawConnection(server.target));
  try {
    await conns[0]!.request('POST', '/api/v1/namespaces', namespaceBody(NS));
    let seq = 0;
    const creates = async (count: number) => {
      const stop = seq + count;
      await Promise.all(
        conns.map(async (c) => {
          while (seq < stop) {
            const r = await c.request('POST', CONFIGMAPS(NS), configMapBody(NS, `c-${seq++}`));
            if (r.status !== 201) throw new Error(`create answered ${r.status}`);
          }
        }),
      );
    };
    await creates(WARMUP);
    const idle0 = await server.cpuMicros();
    await new Promise((r) => setTimeout(r, 3000));
    const idleCpuPct = round(((await server.cpuMicros()) - idle0) / 3000 / 10, 1);
    const m0 = await etcdCounters(etcd);
    const save = await server.profile();
    const stopCount = await countSyscalls(server.pid);
    const cpu0 = await server.cpuMicros();
    const t0 = performance.now();
    await creates(CREATES);
    const cpu1 = await server.cpuMicros();
    const calls = await stopCount?.();
    const seconds = (performance.now() - t0) / 1000;
    await save(`create-cpu-${store}-${roundNo}`);
    const r: Round = { cpuMicrosPerCreate: Math.round((cpu1 - cpu0) / CREATES), createsPerSec: round(CREATES / seconds, 1), idleCpuPct };
    if (etcd) r.etcdPerCreate = perCreate(m0, await etcdCounters(etcd));
    if (calls) r.syscallsPerCreate = Object.fromEntries(Object.entries(calls).map(([k, v]) => [k, round(v / CREATES, 2)]));
    return r;
  } finally {
    for (const c of conns) c.close();
    await server.stop();
    await etcd?.stop();
  }
}

async function main(): Promise<void> {
  if (PROF) mkdirSync(PROF, { recursive: true });
  const tmp = mkdtempSync(join(tmpdir(), 'create-cpu-'));
  const rounds: Record<string, Round[]> = {};
  try {
    for (let i = 0; i < ROUNDS; i++) {
      for (const store of STORES) {
        const r = await measure(store, join(tmp, `${store}-${i}`), i);
        progress(`${store} round ${i}: ${r.cpuMicrosPerCreate} us CPU/create, ${r.createsPerSec} creates/s, idle ${r.idleCpuPct}% of a core`);
        (rounds[store] ??= []).push(r);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const summary = Object.fromEntries(
    Object.entries(rounds).map(([store, rs]) => {
      const cpu = rs.map((r) => r.cpuMicrosPerCreate).sort((a, b) => a - b);
      return [store, { medianCpuMicrosPerCreate: percentile(cpu, 50), rounds: rs }];
    }),
  );
  console.log(JSON.stringify({ settings: { creates: CREATES, connections: CONNECTIONS, rounds: ROUNDS, stores: STORES }, ...summary }, null, 2));
}

await main();
