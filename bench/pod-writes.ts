/**
 * CPU per write for the four API writes every pod of the scale bench costs (issue 12), in-process
 * through dispatch (bench/in-process-dispatch.ts: no HTTP, TLS, authn, authz, flow control or
 * audit): the load client's create (bench/scale.ts podBody), the scheduler's POST pods/binding
 * (plugins/default-binder.ts), its Scheduled Event (scheduler/pod-status.ts podEvent) and the
 * simulated kubelet's pods/status merge patch to Running (sim/pod-status.ts runningStatus).
 * Each round creates, binds, sets Running and records the Event of its own N pods, phase by phase;
 * the per-case figure is the median over rounds. CPU time (process.cpuUsage), not throughput, is
 * the number that holds while the machine is shared; compare builds by alternating runs.
 * Usage: node bench/pod-writes.ts [pods per round] [rounds]   (BENCH_CPU_PROF_DIR profiles each case
 * of the last round).
 */
import { call, measure, read, withControlPlane, type Measured } from './in-process-dispatch.ts';
import { podBody } from './scale.ts';
import { podEvent } from '../src/cluster/scheduler/pod-status.ts';
import { runningStatus } from '../src/cluster/sim/pod-status.ts';
import type { K8sObject } from '../src/cluster/client/types.ts';

const N = Number(process.argv[2] ?? 1000);
const ROUNDS = Number(process.argv[3] ?? 3);
const NS = 'bench-scale';
const WARM = 50;
/** Writes in flight, as the load client's, scheduler's and nodes' pools keep several going. */
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

await withControlPlane(async (ctx) => {
  await call(ctx, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  // The ServiceAccount admission plugin needs the namespace's default account (no controllers run here).
  await call(ctx, 'POST', `/api/v1/namespaces/${NS}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } });
  const nodes = 50;
  for (let n = 0; n < nodes; n++) await call(ctx, 'POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: `sim-${n}` } });
  const results: Measured[][] = [];
  const base = Date.parse('2026-01-01T00:00:00Z');
  for (let r = 0; r <= ROUNDS; r++) {
    // Round 0 warms up (WARM pods), its figures are dropped.
    const n = r === 0 ? WARM : N;
    const off = r * 1_000_000;
    const pods = new Map<number, K8sObject>();
    const name = (i: number) => `p-${i}`;
    const round: Measured[] = [];
    round.push(
      await measure('create pod', n, async (i) => {
        return call(ctx, 'POST', `/api/v1/namespaces/${NS}/pods`, podBody(i), 'application/json', 'scale');
      }, off, CONCURRENCY),
    );
    // The bind names the pod's uid, as the default binder does; read it back before measuring.
    const reread = async () => {
      for (let i = off; i < off + n; i++) pods.set(i, await read<K8sObject>(ctx, `/api/v1/namespaces/${NS}/pods/${name(i)}`));
    };
    await reread();
    const bindings = new Map<number, string>();
    for (let i = off; i < off + n; i++) {
      const binding = { apiVersion: 'v1', kind: 'Binding', metadata: { name: name(i), namespace: NS, uid: pods.get(i)!.metadata.uid }, target: { apiVersion: 'v1', kind: 'Node', name: `sim-${i % nodes}` } };
      bindings.set(i, JSON.stringify(binding));
    }
    round.push(
      await measure('pods/binding', n, (i) => call(ctx, 'POST', `/api/v1/namespaces/${NS}/pods/${name(i)}/binding`, bindings.get(i), 'application/json', 'kube-scheduler'), off, CONCURRENCY),
    );
    // Bodies are made before measuring: only the server's work is counted.
    const events = new Map<number, string>();
    for (let i = off; i < off + n; i++) {
      const e = podEvent(pods.get(i) as never, { type: 'Normal', reason: 'Scheduled', action: 'Binding', message: `Successfully assigned ${NS}/${name(i)} to sim-${i % nodes}`, component: 'default-scheduler', instance: 'default-scheduler-bench', now: base + i });
      events.set(i, JSON.stringify(e));
    }
    round.push(await measure('Scheduled event', n, (i) => call(ctx, 'POST', `/apis/events.k8s.io/v1/namespaces/${NS}/events`, events.get(i), 'application/json', 'kube-scheduler'), off, CONCURRENCY));
    await reread(); // the simulated kubelet writes from the bound pod it watched
    const statuses = new Map<number, string>();
    for (let i = off; i < off + n; i++) statuses.set(i, JSON.stringify({ status: runningStatus(pods.get(i)!, { podIP: '10.0.0.1', hostIP: '10.1.0.1' }, base + i) }));
    round.push(
      await measure('pods/status Running (sim kubelet)', n, (i) => call(ctx, 'PATCH', `/api/v1/namespaces/${NS}/pods/${name(i)}/status`, statuses.get(i), 'application/merge-patch+json', 'sim'), off, CONCURRENCY),
    );
    if (r > 0) results.push(round);
  }
  const cases = results[0]!.map((m) => m.case);
  const out: Record<string, unknown> = {};
  let total = 0;
  for (const [k, c] of cases.entries()) {
    const rounds = results.map((rd) => rd[k]!.cpuUsPerWrite);
    const med = median(rounds);
    total += med;
    out[c] = { cpuUsPerWrite: med, rounds };
  }
  console.log(JSON.stringify({ bench: 'pod-writes', podsPerRound: N, rounds: ROUNDS, cases: out, cpuUsPerPod: total }, null, 1));
});
