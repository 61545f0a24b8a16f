/**
 * API Priority and Fairness under a flood (issue 12): one non-admin user (global-default) keeps
 * BENCH_APF_FLOOD creates in flight while a node renews its Lease (node-high) and the scheduler
 * reads pods (workload-high), each one request at a time. Rounds alternate between APF on and
 * --enable-priority-and-fairness=false with the same load, each on a fresh server. Reports the
 * protected requests' latency (p50, p99), the flood's creates per second and 429s, and the
 * server's CPU per flood create. Latencies only mean something on a quiet machine; CPU per
 * create holds on a shared one.
 *
 * Usage: node bench/apf-protection.ts
 * Knobs: BENCH_APF_FLOOD (200 creates in flight), BENCH_APF_SECONDS (10 measured, after 2),
 * BENCH_ROUNDS (2 per mode).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueCert } from '../src/pki/certs.ts';
import { pkiPaths } from '../src/pki/bundle.ts';
import { TestClient } from '../test/helpers/client.ts';
import { spawnServer } from './server-process.ts';
import { percentile, round } from './stats.ts';

const FLOOD = Number(process.env.BENCH_APF_FLOOD ?? 200);
const SECONDS = Number(process.env.BENCH_APF_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const WARMUP_MS = 2000;
const NS = 'apf-bench';

interface Round {
  nodeLeaseMs: { p50: number; p99: number };
  schedulerGetMs: { p50: number; p99: number };
  floodCreatesPerSec: number;
  flood429: number;
  serverCpuMicrosPerFloodCreate: number;
}

const sorted = (v: number[]) => [...v].sort((a, b) => a - b);
const summary = (v: number[]) => ({ p50: round(percentile(sorted(v), 50), 2), p99: round(percentile(sorted(v), 99), 2) });

async function runRound(apf: boolean): Promise<Round> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-apf-'));
  const server = await spawnServer('portcullis', { dataDir, env: { BENCH_DURABILITY: 'normal', BENCH_CONTROL_PLANE: JSON.stringify({ controllers: [], leaderElect: false, scheduler: false, flowControl: { enabled: apf } }) } });
  const url = `https://${server.target.host}:${server.target.port}`;
  const paths = pkiPaths(dataDir);
  const ca = { certPem: readFileSync(paths.caCert, 'utf8'), keyPem: readFileSync(paths.caKey, 'utf8') };
  const client = (user: string, groups: string[]) => {
    const c = issueCert(ca, { commonName: user, organizations: groups, usage: 'client', now: new Date(), validityDays: 1 });
    return new TestClient(url, { caPem: ca.certPem, certPem: c.certPem, keyPem: c.keyPem });
  };
  const admin = new TestClient(url, server.target.tls);
  const flooder = client('flooder', []);
  // Every flood request on a connection of its own (the test client's agent pools 64).
  flooder.agent.maxSockets = FLOOD;
  const node = client('system:node:bench-node', ['system:nodes']);
  const scheduler = client('system:kube-scheduler', []);
  try {
    await admin.post('/api/v1/namespaces', { metadata: { name: NS } });
    await admin.post('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', { metadata: { name: 'flooder' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'User', name: 'flooder', apiGroup: 'rbac.authorization.k8s.io' }] });
    const leasePath = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases';
    let lease = (await node.post(leasePath, { metadata: { name: 'bench-node' }, spec: { holderIdentity: 'bench-node', leaseDurationSeconds: 40 } })).body;
    // The probes' connections are open before the flood: a TLS handshake queued behind the flood's
    // 200 would be measured instead of the requests.
    await scheduler.get(`/api/v1/namespaces/${NS}/pods?limit=1`);

    let stop = false;
    let measuring = false;
    let creates = 0;
    let rejected = 0;
    let n = 0;
    const flood = async () => {
      while (!stop) {
        const r = await flooder.post(`/api/v1/namespaces/${NS}/configmaps`, { metadata: { name: `f-${n++}` }, data: { k: 'v' } });
        if (!measuring) continue;
        if (r.status === 201) creates++;
        else if (r.status === 429) rejected++;
      }
    };
    const leaseMs: number[] = [];
    const getMs: number[] = [];
    const probeErrors: string[] = [];
    const probe = async (fn: () => Promise<unknown>, into: number[]) => {
      while (!stop) {
        const t0 = performance.now();
        try {
          await fn();
        } catch (err) {
          if (probeErrors.length < 5) probeErrors.push(String(err));
        }
        if (measuring) into.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const workers = [
      ...Array.from({ length: FLOOD }, flood),
      probe(async () => {
        const r = await node.put(`${leasePath}/bench-node`, { ...lease, spec: { ...lease.spec, renewTime: new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z') } });
        if (r.status === 200) lease = r.body;
      }, leaseMs),
      probe(() => scheduler.get(`/api/v1/namespaces/${NS}/pods?limit=1`), getMs),
    ];
    await new Promise((r) => setTimeout(r, WARMUP_MS));
    const cpu0 = await server.cpuMicros();
    measuring = true;
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    measuring = false;
    const cpu1 = await server.cpuMicros();
    stop = true;
    await Promise.all(workers);
    if (probeErrors.length) process.stderr.write(`probe errors: ${probeErrors.join('; ')}\n`);
    return {
      nodeLeaseMs: summary(leaseMs),
      schedulerGetMs: summary(getMs),
      floodCreatesPerSec: round(creates / SECONDS, 1),
      flood429: rejected,
      serverCpuMicrosPerFloodCreate: creates ? round((cpu1 - cpu0) / creates, 1) : 0,
    };
  } finally {
    for (const c of [admin, flooder, node, scheduler]) c.close();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const results: Record<'apf' | 'noApf', Round[]> = { apf: [], noApf: [] };
for (let i = 0; i < ROUNDS; i++) {
  results.apf.push(await runRound(true));
  results.noApf.push(await runRound(false));
}
const med = (rs: Round[], f: (r: Round) => number) => round(percentile(sorted(rs.map(f)), 50), 2);
const view = (rs: Round[]) => ({
  nodeLeaseP50Ms: med(rs, (r) => r.nodeLeaseMs.p50),
  nodeLeaseP99Ms: med(rs, (r) => r.nodeLeaseMs.p99),
  schedulerGetP50Ms: med(rs, (r) => r.schedulerGetMs.p50),
  schedulerGetP99Ms: med(rs, (r) => r.schedulerGetMs.p99),
  floodCreatesPerSec: med(rs, (r) => r.floodCreatesPerSec),
  flood429: med(rs, (r) => r.flood429),
  serverCpuMicrosPerFloodCreate: med(rs, (r) => r.serverCpuMicrosPerFloodCreate),
  rounds: rs,
});
process.stdout.write(JSON.stringify({ settings: { flood: FLOOD, seconds: SECONDS, rounds: ROUNDS }, apf: view(results.apf), noApf: view(results.noApf) }, null, 2) + '\n');
