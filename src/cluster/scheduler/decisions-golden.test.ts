/**
 * The default profile's decisions over a varied cluster, pod after pod, must stay what they were:
 * the sequence of chosen nodes (and failures) is pinned by its digest, recorded from the code
 * before the scheduler's per-node cost cuts (runFilters once per cycle, one scores array per
 * cycle, NodeResourcesFit's scratch arrays, the Skips). Any change of a filter, a score,
 * a normalization, the order of evaluation or the tie-breaking random draws changes it.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';

const GOLDEN_250 = 'b4b8c582e97a9e2e6f9ecdeeb8e5df5da73b99c5658c23afd41e0fb7c81e4390';
const GOLDEN_40 = 'c1f45db0e926e6424441607f30e86578e2b273eefd1da5b5db41c95c99df21ba';
import type { ApiClient } from '../client/types.ts';
import { SchedulerCache } from './cache.ts';
import { defaultProfile } from './profile.ts';
import { Framework } from './runtime.ts';
import { makeNode, makePod } from './testing.ts';

/** Every pod's name, shape and outcome (node and feasible count, or the failure message), in order. */
async function sequential(nodeCount: number, podCount: number): Promise<string[]> {
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  // A second generator for the cluster's and pods' shapes, so they do not depend on the draws.
  let shapeSeed = 11;
  const pick = (n: number) => Math.floor(((shapeSeed = (shapeSeed * 69069 + 1) % 2 ** 32) / 2 ** 32) * n);
  const cache = new SchedulerCache();
  for (let i = 0; i < nodeCount; i++) {
    const taints = [
      ...(i % 7 === 0 ? [{ key: 'soft', value: 'x', effect: 'PreferNoSchedule' }] : []),
      ...(i % 11 === 0 ? [{ key: 'hard', effect: 'NoSchedule' }] : []),
    ];
    cache.addNode(Object.freeze(makeNode(`n-${String(i).padStart(3, '0')}`, {
      cpu: ['2', '4', '8', '16'][i % 4],
      memory: ['4Gi', '8Gi', '16Gi'][i % 3],
      pods: i % 13 === 0 ? '5' : '110',
      labels: { zone: `z${i % 3}`, disk: i % 2 ? 'ssd' : 'hdd' },
      ...(taints.length ? { taints } : {}),
      ...(i % 29 === 5 ? { unschedulable: true } : {}),
    })));
  }
  const fw = new Framework(defaultProfile(), { client: {} as ApiClient, random, now: () => 0 });
  const out: string[] = [];
  for (let i = 0; i < podCount; i++) {
    const kind = pick(9);
    const app = `app-${pick(4)}`;
    const spec: Record<string, unknown> = {};
    if (kind === 1) spec.tolerations = [{ key: 'soft', operator: 'Exists', effect: 'PreferNoSchedule' }];
    if (kind === 2) spec.tolerations = [{ key: 'hard', operator: 'Exists' }];
    if (kind === 3) spec.affinity = { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } }] } };
    if (kind === 4) spec.affinity = { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, podAffinityTerm: { topologyKey: 'zone', labelSelector: { matchLabels: { app } } } }] } };
    if (kind === 5) spec.affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app } } }] } };
    if (kind === 6) spec.topologySpreadConstraints = [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: i % 2 ? 'DoNotSchedule' : 'ScheduleAnyway', labelSelector: { matchLabels: { app } } }];
    if (kind === 7) spec.nodeSelector = { disk: 'ssd' };
    if (kind === 8) spec.containers = [{ name: 'c', image: 'i', ports: [{ containerPort: 80, hostPort: 8080 + pick(2), protocol: 'TCP' }] }];
    const cpu = ['', '100m', '250m', '1', '3', '20'][pick(6)];
    const memory = ['', '64Mi', '512Mi', '2Gi'][pick(4)];
    const pod = Object.freeze(makePod(`p-${i}`, { ...(cpu ? { cpu } : {}), ...(memory ? { memory } : {}), labels: { app }, spec }));
    const r = await fw.schedulePod(pod, cache.nodeInfos(), cache.affinityNodeLists());
    out.push(`${pod.metadata.name} ${kind} ${cpu}/${memory}`);
    if (r.kind === 'fit') {
      cache.assume(pod, r.node);
      out.push(`${r.node}/${r.feasible}`);
    } else out.push(`${r.kind}: ${r.message}`);
  }
  return out;
}

test('default profile: the decisions over a varied cluster of 250 nodes (120 evaluated) stay as recorded', async () => {
  const out = await sequential(250, 500);
  const digest = createHash('sha256').update(out.join('\n')).digest('hex');
  assert.equal(out.length, 500 * 2);
  assert.ok(out.some((l) => l.startsWith('unschedulable')), 'some pods do not fit');
  assert.equal(digest, GOLDEN_250);
});

test('default profile: the decisions over 40 nodes (all evaluated) stay as recorded', async () => {
  const out = await sequential(40, 300);
  const digest = createHash('sha256').update(out.join('\n')).digest('hex');
  assert.equal(digest, GOLDEN_40);
});
