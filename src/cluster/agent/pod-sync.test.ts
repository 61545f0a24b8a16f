import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { FakeApiClient } from '../client/fake.ts';
import { resources } from '../client/resources.ts';
import type { K8sObject } from '../client/types.ts';
import { FakeImageService, FakeRuntime } from './runtime/fake.ts';
import { PodSyncer } from './pod-sync.ts';

const quiet = { warn() {}, info() {} };

/** One pod (one container, image present) seeded in a fake API, and a syncer for it on the fake runtime. */
function onePod(now: () => number): { client: FakeApiClient; pod: Pod; syncer: PodSyncer } {
  const client = new FakeApiClient();
  const pod = client.seed<K8sObject>(resources.pods, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', uid: 'u1' },
    spec: { nodeName: 'n', containers: [{ name: 'c', image: 'img:1', imagePullPolicy: 'IfNotPresent' }] },
  }) as Pod;
  const syncer = new PodSyncer({
    runtime: new FakeRuntime({ now }), images: new FakeImageService(), client, hostIP: '10.0.0.1', allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
    scheme: 'fake', now, pods: () => [pod], requeueAfter() {}, log: quiet,
  });
  return { client, pod, syncer };
}

test('the start time written first stays while the informer still shows an older pod', async () => {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const { client, pod, syncer } = onePod(() => now);
  const statusWrites = () => client.writes().filter((a) => a.verb === 'patch' && a.subresource === 'status');
  await syncer.sync(pod);
  assert.equal(statusWrites().length, 1);
  const first = (client.stored<K8sObject>(resources.pods, 'default')[0]!.status as { startTime: string }).startTime;
  assert.equal(first, '2026-01-01T00:00:00Z');
  // A second later, synced again from the informer's copy that does not show that write yet.
  now += 1_000;
  await syncer.sync(pod);
  // Then from the write's own echo.
  await syncer.sync(client.stored<K8sObject>(resources.pods, 'default')[0] as Pod);
  assert.equal(statusWrites().length, 1, 'nothing changed but the informer copy: no write');
  assert.equal((client.stored<K8sObject>(resources.pods, 'default')[0]!.status as { startTime: string }).startTime, first);
  syncer.probes.stop();
});

test('a condition whose status did not change keeps the transition time last written', async () => {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const client = new FakeApiClient();
  const spec = { nodeName: 'n', readinessGates: [{ conditionType: 'example.com/gate' }], containers: [{ name: 'c', image: 'img:1', imagePullPolicy: 'IfNotPresent' as const }] };
  const pod = client.seed<K8sObject>(resources.pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', uid: 'u1' }, spec }) as Pod;
  const syncer = new PodSyncer({
    runtime: new FakeRuntime({ now: () => now }), images: new FakeImageService(), client, hostIP: '10.0.0.1', allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
    scheme: 'fake', now: () => now, pods: () => [pod], requeueAfter() {}, log: quiet,
  });
  await syncer.sync(pod);
  const cond = (type: string) => ((client.stored<K8sObject>(resources.pods, 'default')[0]!.status as { conditions: Cond[] }).conditions).find((c) => c.type === type)!;
  assert.equal(cond('Ready').status, 'False');
  // The gate's controller sets its condition; the informer's copy shows that but not the agent's write yet.
  now += 1_000;
  await syncer.sync({ ...pod, status: { conditions: [{ type: 'example.com/gate', status: 'True' }] } } as Pod);
  assert.equal(cond('Ready').status, 'True');
  assert.equal(cond('Ready').lastTransitionTime, '2026-01-01T00:00:01Z');
  assert.equal(cond('Initialized').lastTransitionTime, '2026-01-01T00:00:00Z');
  assert.equal(cond('PodScheduled').lastTransitionTime, '2026-01-01T00:00:00Z');
  syncer.probes.stop();
});

type Cond = { type: string; status: string; lastTransitionTime: string };

test('a start publishes its steps in order on the pod-start channel, only while subscribed', async () => {
  const { podStartChannel } = await import('./pod-start-trace.ts');
  const { pod, syncer } = onePod(Date.now);
  const steps: string[] = [];
  const uid = pod.metadata!.uid!;
  const listen = (m: unknown) => steps.push(`${(m as { uid: string }).uid === uid ? 'pod' : 'other'} ${(m as { step: string }).step}`);
  podStartChannel.subscribe(listen);
  try {
    await syncer.sync(pod);
  } finally {
    podStartChannel.unsubscribe(listen);
  }
  // Nothing more once unsubscribed.
  const seen = steps.length;
  await syncer.sync(pod);
  assert.equal(steps.length, seen);
  assert.deepEqual(steps, [
    'pod sync', 'pod sandbox:wait', 'pod sandbox:run', 'pod sandbox:done', 'pod image', 'pod env',
    'pod create:wait', 'pod create:run', 'pod create:done', 'pod start:wait', 'pod start:run', 'pod start:done',
    'pod status:Running', 'pod written:Running',
  ]);
  syncer.probes.stop();
});
