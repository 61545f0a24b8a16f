/**
 * Critical pod admission through a real API server (fake runtime): a system-node-critical pod that
 * does not fit the node's cpu preempts the Burstable pod whose request covers the shortfall (the
 * BestEffort one frees no cpu and stays), as the kubelet's CriticalPodAdmissionHandler: the victim
 * gets a Warning Preempting event, is killed with its own grace period and ends Failed/Preempting
 * with a DisruptionTarget condition, then the critical pod runs. A critical pod no set of pods can
 * make room for is rejected with UnexpectedAdmissionError.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../../src/cluster/client/resources.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';
import type { FakeRuntime } from '../../src/cluster/agent/runtime/fake.ts';
import { startAgentCluster, eventually, HOST, type AgentCluster } from './agent-helpers.ts';

let ac: AgentCluster;
let runtime: FakeRuntime;

before(async () => {
  ac = await startAgentCluster();
  ({ runtime } = await ac.start('node-small', { host: { ...HOST, allocatable: { ...HOST.allocatable, cpu: '1' } } }));
});
after(() => ac.close());

const pod = (name: string, o: { cpu?: string; priorityClassName?: string; grace?: number } = {}) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name },
  spec: {
    nodeName: 'node-small', ...(o.priorityClassName ? { priorityClassName: o.priorityClassName } : {}), ...(o.grace !== undefined ? { terminationGracePeriodSeconds: o.grace } : {}),
    containers: [{ name: 'c', image: 'example.test/app:1', ...(o.cpu ? { resources: { requests: { cpu: o.cpu } } } : {}) }],
  },
});
const get = (name: string) => ac.admin.get<K8sObject>(resources.pods, 'default', name);
const running = (name: string) => eventually(async () => (await get(name)).status?.phase === 'Running', `${name} Running`);
const failed = (name: string) => eventually(async () => {
  const p = await get(name);
  return p.status?.phase === 'Failed' && p;
}, `${name} Failed`);

test('a critical pod short of cpu preempts the Burstable pod covering it, then runs', async () => {
  await ac.admin.create(resources.pods, 'default', pod('burstable', { cpu: '700m', grace: 7 }));
  await ac.admin.create(resources.pods, 'default', pod('best-effort'));
  await running('burstable');
  await running('best-effort');
  const victimContainer = (await get('burstable')).status.containerStatuses[0].containerID.replace(/^fake:\/\//, '');

  await ac.admin.create(resources.pods, 'default', pod('critical', { cpu: '500m', priorityClassName: 'system-node-critical' }));
  const victim = await failed('burstable');
  assert.equal(victim.status.reason, 'Preempting');
  assert.equal(victim.status.message, 'Preempted in order to admit critical pod');
  const disruption = (victim.status.conditions ?? []).find((c: K8sObject) => c.type === 'DisruptionTarget');
  assert.deepEqual([disruption?.status, disruption?.reason, disruption?.message], ['True', 'TerminationByKubelet', 'Pod was preempted by Kubelet to accommodate a critical pod.']);
  assert.equal(victim.status.containerStatuses[0].state.terminated !== undefined, true, 'its container is reported terminated');
  assert.deepEqual(runtime.calls.filter((c) => c.op === 'stop' && c.id === victimContainer).map((c) => c.grace), [7], 'killed with its own grace period');
  await running('critical');
  assert.equal((await get('best-effort')).status.phase, 'Running', 'the BestEffort pod frees no cpu: it stays');
  const events = (await ac.admin.list<K8sObject>(resources.events, 'default')).items.filter((e) => e.involvedObject?.name === 'burstable' && e.reason === 'Preempting');
  assert.deepEqual(events.map((e) => [e.type, e.message]), [['Warning', 'Preempted in order to admit critical pod']]);
});

test('a critical pod no set of pods can make room for is rejected with UnexpectedAdmissionError', async () => {
  // 2 cpus on a 1-cpu node: even every other pod gone leaves it short.
  await ac.admin.create(resources.pods, 'default', pod('too-big', { cpu: '2', priorityClassName: 'system-cluster-critical' }));
  const p = await failed('too-big');
  assert.equal(p.status.reason, 'UnexpectedAdmissionError');
  assert.match(p.status.message, /^Pod was rejected: Unexpected error while attempting to recover from admission failure: preemption: error finding a set of pods to preempt: no set of running pods found to reclaim resources: \[\(res: cpu, q: \d+\), \]$/);
  assert.equal((await get('critical')).status.phase, 'Running', 'a critical pod is never a victim');
});
