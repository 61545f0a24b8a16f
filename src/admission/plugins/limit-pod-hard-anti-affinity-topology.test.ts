import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdmissionChain, emptyOutcome } from '../chain.ts';
import { LimitPodHardAntiAffinityTopology } from './limit-pod-hard-anti-affinity-topology.ts';
import { podAttrs } from '../webhook/test-support.ts';

const term = (topologyKey: string) => ({ labelSelector: { matchLabels: { app: 'web' } }, topologyKey });

const cases: [string, Record<string, unknown> | undefined, string | undefined][] = [
  ['no affinity', undefined, undefined],
  ['hostname', { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('kubernetes.io/hostname')] } }, undefined],
  ['zone', { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('topology.kubernetes.io/zone')] } },
    'affinity.PodAntiAffinity.RequiredDuringScheduling has TopologyKey topology.kubernetes.io/zone but only key kubernetes.io/hostname is allowed'],
  ['preferred zone is fine', { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: term('zone') }] } }, undefined],
  ['required pod affinity is not limited', { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('zone')] } }, undefined],
];

for (const [what, affinity, want] of cases) {
  test(what, async () => {
    const obj = { metadata: { name: 'p' }, spec: affinity ? { affinity } : {} };
    const run = new AdmissionChain([], [new LimitPodHardAntiAffinityTopology()]).validate(podAttrs({ object: obj }), emptyOutcome());
    if (want) await assert.rejects(run, { code: 403, message: `pods "p" is forbidden: ${want}` });
    else await run;
  });
}
