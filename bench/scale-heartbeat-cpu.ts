/**
 * CPU per node heartbeat (issue 12: 5,000 nodes renew a Lease every 10 s, 500 writes a second),
 * in-process through dispatch as bench/pod-writes.ts: the Lease renewal as a merge patch of its
 * spec (what the simulator sent before) against an update (PUT) of the node's last Lease with a new
 * renewTime (what upstream's lease controller sends: retryUpdateLease on its cached latestLease),
 * in alternating rounds in one process, so the machine's load falls on both alike.
 * Usage: node bench/scale-heartbeat-cpu.ts [leases=500] [rounds=6]
 */
import { call, measure, read, withControlPlane } from './in-process-dispatch.ts';
import type { K8sObject } from '../src/cluster/client/types.ts';
import { leaseObject, microTime } from '../src/cluster/sim/node-template.ts';

const N = Number(process.argv[2] ?? 500);
const ROUNDS = Number(process.argv[3] ?? 6);
const NS = 'kube-node-lease';
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

await withControlPlane(async (ctx) => {
  const name = (i: number) => `sim-node-${i}`;
  const path = (i: number) => `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/${name(i)}`;
  let now = Date.parse('2026-01-01T00:00:00Z');
  for (let i = 0; i < N; i++) await call(ctx, 'POST', `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`, leaseObject({ name: name(i) }, 40, now));
  const latest = new Map<number, K8sObject>();
  for (let i = 0; i < N; i++) latest.set(i, await read<K8sObject>(ctx, path(i)));
  const cpu: Record<'patch' | 'put', number[]> = { patch: [], put: [] };
  for (let r = 0; r < ROUNDS * 2; r++) {
    const kind = r % 2 === 0 ? 'patch' : 'put';
    now += 10_000;
    const renewTime = microTime(now);
    const m = await measure(`lease ${kind}`, N, async (i) => {
      if (kind === 'patch') return call(ctx, 'PATCH', path(i), { spec: { holderIdentity: name(i), leaseDurationSeconds: 40, renewTime } }, 'application/merge-patch+json', 'sim');
      const base = latest.get(i)!;
      return call(ctx, 'PUT', path(i), { ...base, spec: { ...(base.spec as object), renewTime } }, 'application/json', 'sim');
    }, 0, 16);
    // The next PUT needs the current resourceVersion (the lease controller keeps the answer).
    for (let i = 0; i < N; i++) latest.set(i, await read<K8sObject>(ctx, path(i)));
    if (r >= 2) cpu[kind].push(m.cpuUsPerWrite);
  }
  process.stdout.write(JSON.stringify({ leases: N, rounds: ROUNDS - 1, cpuUsPerRenewal: { mergePatch: { median: median(cpu.patch), all: cpu.patch }, update: { median: median(cpu.put), all: cpu.put } } }) + '\n');
});
