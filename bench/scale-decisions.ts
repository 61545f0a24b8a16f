/**
 * Scheduling decisions per second in-process, without the API: the default profile over a cache
 * of N nodes holding B bound pods, deciding and assuming D more (bare pods, as the scale scenario
 * creates). Isolates the scheduler's own cost from the API server's.
 * Usage: node --import tsx bench/scale-decisions.ts [nodes=500] [bound=10000] [decisions=5000] [cpuprofile path]
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';
import type { ApiClient } from '../src/cluster/client/types.ts';
import { SchedulerCache } from '../src/cluster/scheduler/cache.ts';
import { defaultProfile } from '../src/cluster/scheduler/profile.ts';
import { Framework } from '../src/cluster/scheduler/runtime.ts';
import { makeNode, makePod } from '../src/cluster/scheduler/testing.ts';
import { round } from './stats.ts';

export async function measureDecisions(nodes: number, bound: number, decisions: number): Promise<{ nodes: number; bound: number; decisions: number; perSec: number; perCpuSec: number }> {
  const cache = new SchedulerCache();
  for (let i = 0; i < nodes; i++) cache.addNode(Object.freeze(makeNode(`n-${i}`, { cpu: '32', memory: '256Gi', pods: '110' })));
  for (let i = 0; i < bound; i++) cache.setPod(Object.freeze(makePod(`b-${i}`, { cpu: '100m', memory: '64Mi', node: `n-${i % nodes}`, labels: { app: 'scale' } })));
  let seed = 1;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const fw = new Framework(defaultProfile(), { client: {} as ApiClient, random, now: () => 0 });
  const pods = Array.from({ length: decisions }, (_, i) => Object.freeze(makePod(`p-${i}`, { cpu: '100m', memory: '64Mi', labels: { app: 'scale' } })));
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (const pod of pods) {
    const r = await fw.schedulePod(pod, cache.nodeInfos(), cache.affinityNodeLists());
    if (r.kind !== 'fit') throw new Error(`pod ${pod.metadata.name}: ${r.kind}`);
    cache.assume(pod, r.node);
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  // Per CPU second as well: on a shared machine wall time measures the neighbours too.
  return { nodes, bound, decisions, perSec: round((decisions / ms) * 1000, 1), perCpuSec: round((decisions / (cpu.user + cpu.system)) * 1e6, 1) };
}

async function main(): Promise<void> {
  const [n = '500', b = '10000', d = '5000', prof] = process.argv.slice(2);
  const session = prof ? new Session() : undefined;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  const r = await measureDecisions(Number(n), Number(b), Number(d));
  if (session && prof) writeFileSync(prof, JSON.stringify((await session.post('Profiler.stop')).profile));
  process.stdout.write(JSON.stringify(r) + '\n');
}

if (import.meta.url === `file://${process.argv[1]}`) void main();
