/**
 * Server CPU per request of the request path around the store (issue 12): simulated kubelets
 * renew their Leases over HTTPS as upstream's lease controller does (PUT of the Lease with a new
 * renewTime), each with its own bearer token from a --token-auth-file, so every renewal crosses
 * TLS, HTTP parsing, fastify, token authentication, the Node authorizer and RBAC, APF
 * (node-high), aggregation's group/version check, NodeRestriction and the metrics, while the
 * store's part is one small update. The figure is the server process's CPU (user + system) over
 * a fixed number of renewals, which holds on a shared machine where renewals per second do not.
 * Compare builds by running this file from each tree in turn (alternating runs).
 *
 * BENCH_OP=get reads the node's own Lease instead (the same path around a store read from the
 * watch cache), which shows the fixed cost of a request most plainly. BENCH_OP=bind measures the
 * scheduler's write instead: POST pods/binding (the default binder's Binding) of pods the same
 * connections created first (bench/scale.ts podBody), with the cluster admin's client
 * certificate; the round also reports the CPU of those creates.
 *
 * Usage: node bench/request-cpu.ts   Knobs: BENCH_NODES (200 identities, one connection each),
 * BENCH_RENEWALS (20000 measured, after 2000 to warm up), BENCH_ROUNDS (3), BENCH_CPU_PROF=<dir>.
 * Prints one JSON document: CPU microseconds per renewal for each round and their median, and per
 * round the part of each server thread (main = the event loop; libuv-worker = the WAL syncs and
 * other thread-pool work; the rest).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RawConnection } from './raw-client.ts';
import { spawnServer } from './server-process.ts';
import { writeScaleIdentities } from './scale-identities.ts';
import { threadCpu } from './scale-metrics.ts';
import { percentile } from './stats.ts';
import { podBody } from './scale.ts';

const env = process.env;
const NODES = Number(env.BENCH_NODES ?? 200);
const RENEWALS = Number(env.BENCH_RENEWALS ?? 20_000);
const WARMUP = 2000;
const ROUNDS = Number(env.BENCH_ROUNDS ?? 3);
const OP = env.BENCH_OP === 'get' ? 'get' : env.BENCH_OP === 'bind' ? 'bind' : 'put';
const PROF = env.BENCH_CPU_PROF ? resolve(env.BENCH_CPU_PROF) : undefined;
const LEASES = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases';
/** bench/scale.ts podBody's namespace. */
const SCALE_NS = 'bench-scale';

const lease = (node: string, renewTime: string) =>
  JSON.stringify({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: node, namespace: 'kube-node-lease' },
    spec: { holderIdentity: node, leaseDurationSeconds: 40, renewTime },
  });

// Microsecond time as the kubelet writes it (metav1.MicroTime).
const microTime = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z');

interface Round {
  /** Per measured request: a renewal, a GET or a bind. */
  cpuMicrosPerRenewal: number;
  /** BENCH_OP=bind: per pod create before the binds. */
  cpuMicrosPerCreate?: number;
  /** Microseconds per renewal by server thread name (from /proc; empty elsewhere). */
  threads: Record<string, number>;
}

async function round(dir: string, roundNo: number): Promise<Round> {
  const names = Array.from({ length: NODES }, (_, i) => `bench-node-${i}`);
  mkdirSync(dir, { recursive: true });
  const ids = writeScaleIdentities(dir, names);
  const server = await spawnServer('portcullis', {
    dataDir: dir,
    cpuProfDir: PROF,
    // Binds: no scheduler, so the pods wait for the bench's binds and nothing else works on them.
    env: { BENCH_CONTROL_PLANE: JSON.stringify({ controllers: [], leaderElect: false, authn: { tokenAuthFile: ids.tokenAuthFile }, ...(OP === 'bind' ? { scheduler: false } : {}) }) },
  });
  const conns = names.map((n) => new RawConnection(server.target, OP === 'bind' ? {} : { bearerToken: ids.nodeToken(n) }));
  try {
    if (OP === 'bind') return await bindRound(server, conns);
    let clock = Date.now();
    await Promise.all(
      names.map(async (n, i) => {
        const r = await conns[i]!.request('POST', LEASES, lease(n, microTime(clock)));
        if (r.status !== 201) throw new Error(`${n}: creating its Lease answered ${r.status}`);
      }),
    );
    let seq = 0;
    const renew = async (count: number) => {
      const stop = seq + count;
      await Promise.all(
        names.map(async (n, i) => {
          while (seq < stop) {
            seq++;
            const r = OP === 'get' ? await conns[i]!.request('GET', `${LEASES}/${n}`) : await conns[i]!.request('PUT', `${LEASES}/${n}`, lease(n, microTime(++clock)));
            if (r.status !== 200) throw new Error(`${n}: ${OP} answered ${r.status}`);
          }
        }),
      );
    };
    await renew(WARMUP);
    const save = await server.profile();
    const cpu0 = await server.cpuMicros();
    const t0 = threadCpu(server.pid);
    await renew(RENEWALS);
    const t1 = threadCpu(server.pid);
    const cpu1 = await server.cpuMicros();
    await save(`request-cpu-${roundNo}`);
    const threads: Record<string, number> = {};
    for (const [name, v] of t1) {
      const us = Math.round(((v - (t0.get(name) ?? 0)) * 1e6) / RENEWALS);
      if (us > 0) threads[name] = us;
    }
    return { cpuMicrosPerRenewal: Math.round((cpu1 - cpu0) / RENEWALS), threads };
  } finally {
    for (const c of conns) c.close();
    await server.stop();
  }
}

/** BENCH_OP=bind: creates WARMUP + RENEWALS pods over the connections, binds WARMUP, then measures binding the rest. */
async function bindRound(server: Awaited<ReturnType<typeof spawnServer>>, conns: RawConnection[]): Promise<Round> {
  const ns = `/api/v1/namespaces/${SCALE_NS}`;
  const admin = conns[0]!;
  const must = async (want: number, p: Promise<{ status: number }>, what: string) => {
    const r = await p;
    if (r.status !== want) throw new Error(`${what}: answered ${r.status}`);
  };
  await must(201, admin.request('POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: SCALE_NS } })), 'namespace');
  // The ServiceAccount admission plugin needs the namespace's default account (no controllers run here).
  await must(201, admin.request('POST', `${ns}/serviceaccounts`, JSON.stringify({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } })), 'service account');
  const total = WARMUP + RENEWALS;
  const each = async (from: number, to: number, op: (i: number, c: RawConnection) => Promise<void>) => {
    let next = from;
    await Promise.all(conns.map(async (c) => {
      while (next < to) await op(next++, c);
    }));
  };
  const c0 = await server.cpuMicros();
  await each(0, total, async (i, c) => {
    const r = await c.request('POST', `${ns}/pods`, podBody(i));
    if (r.status !== 201) throw new Error(`create p-${i}: answered ${r.status}`);
  });
  const c1 = await server.cpuMicros();
  const bind = async (i: number, c: RawConnection) => {
    // The default binder's Binding without the pod's uid (this client keeps no answer bodies;
    // checking it is one comparison).
    const b = { apiVersion: 'v1', kind: 'Binding', metadata: { name: `p-${i}`, namespace: SCALE_NS }, target: { apiVersion: 'v1', kind: 'Node', name: `bench-node-${i % NODES}` } };
    const r = await c.request('POST', `${ns}/pods/p-${i}/binding`, JSON.stringify(b));
    if (r.status !== 201) throw new Error(`bind p-${i}: answered ${r.status}`);
  };
  await each(0, WARMUP, bind);
  const save = await server.profile();
  const cpu0 = await server.cpuMicros();
  const t0 = threadCpu(server.pid);
  await each(WARMUP, total, bind);
  const t1 = threadCpu(server.pid);
  const cpu1 = await server.cpuMicros();
  await save('request-cpu-bind');
  const threads: Record<string, number> = {};
  for (const [name, v] of t1) {
    const us = Math.round(((v - (t0.get(name) ?? 0)) * 1e6) / RENEWALS);
    if (us > 0) threads[name] = us;
  }
  return { cpuMicrosPerRenewal: Math.round((cpu1 - cpu0) / RENEWALS), cpuMicrosPerCreate: Math.round((c1 - c0) / total), threads };
}

const tmp = mkdtempSync(join(tmpdir(), 'request-cpu-'));
const rounds: Round[] = [];
try {
  if (PROF) mkdirSync(PROF, { recursive: true });
  for (let i = 0; i < ROUNDS; i++) {
    rounds.push(await round(join(tmp, `r${i}`), i));
    const what = OP === 'bind' ? `pods/binding POST (create ${rounds[i]!.cpuMicrosPerCreate} us)` : `Lease ${OP}`;
    process.stderr.write(`[request-cpu] round ${i}: ${rounds[i]!.cpuMicrosPerRenewal} us server CPU per ${what} ${JSON.stringify(rounds[i]!.threads)}\n`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
const sorted = rounds.map((r) => r.cpuMicrosPerRenewal).sort((a, b) => a - b);
console.log(JSON.stringify({ settings: { op: OP, nodes: NODES, renewals: RENEWALS, rounds: ROUNDS }, medianCpuMicrosPerRenewal: percentile(sorted, 50), rounds }, null, 2));
