import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { FakeApiClient } from '../client/fake.ts';
import { resources } from '../client/resources.ts';
import type { K8sObject } from '../client/types.ts';
import { FakeImageService, FakeRuntime } from './runtime/fake.ts';
import { PodSyncer } from './pod-sync.ts';
import { byCreation } from './pod-admitter.ts';

const quiet = { warn() {}, info() {} };
const T0 = Date.parse('2026-01-01T00:00:00Z');

/** A fake API whose pods are created at the given seconds after T0 (creationTimestamp). */
function node(pods: Array<{ name: string; at: number; cpu?: string }>) {
  let clock = T0;
  const client = new FakeApiClient({ now: () => new Date(clock) });
  for (const p of pods) {
    clock = T0 + p.at * 1000;
    client.seed<K8sObject>(resources.pods, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: p.name, namespace: 'default' },
      spec: { nodeName: 'n', containers: [{ name: 'c', image: 'img:1', imagePullPolicy: 'IfNotPresent', ...(p.cpu ? { resources: { requests: { cpu: p.cpu } } } : {}) }] },
    });
  }
  const stored = () => client.stored<K8sObject>(resources.pods, 'default') as Pod[];
  const pod = (name: string) => stored().find((p) => p.metadata?.name === name)!;
  return { client, stored, pod };
}

/** A syncer that has adopted what the runtime holds, as the agent does at start. */
async function syncer(client: FakeApiClient, runtime: FakeRuntime, pods: () => Pod[], allocatable: Record<string, string>): Promise<PodSyncer> {
  const now = () => T0 + 60_000;
  const s = new PodSyncer({ runtime, images: new FakeImageService(), client, hostIP: '10.0.0.1', allocatable, scheme: 'fake', now, pods, requeueAfter() {}, log: quiet });
  s.index.observe(await runtime.list());
  return s;
}

test('creation order: creationTimestamp first, then namespace/name', () => {
  const mk = (name: string, ts: string): Pod => ({ metadata: { name, namespace: 'default', creationTimestamp: ts } });
  const pods = [mk('a', '2026-01-01T00:00:02Z'), mk('z', '2026-01-01T00:00:01Z'), mk('b', '2026-01-01T00:00:01Z')];
  assert.deepEqual(pods.sort(byCreation).map((p) => p.metadata?.name), ['b', 'z', 'a']);
  // Other spellings of a time (fractions, offsets) are compared as times.
  const odd = [mk('late', '2026-01-01T00:00:02Z'), mk('early', '2026-01-01T01:00:01.5+02:00')];
  assert.deepEqual(odd.sort(byCreation).map((p) => p.metadata?.name), ['early', 'late']);
});

test('earlier pods keep their place: the newest pod synced first is the one refused when the node is full', async () => {
  const n = node([{ name: 'z-first', at: 0 }, { name: 'a-second', at: 1 }, { name: 'm-third', at: 2 }]);
  const runtime = new FakeRuntime({ now: () => T0 });
  const s = await syncer(n.client, runtime, n.stored, { cpu: '4', memory: '8Gi', pods: '2' });
  try {
    // Its worker runs first, but the two pods created before it are judged before it.
    await s.sync(n.pod('m-third'));
    assert.deepEqual([n.pod('m-third').status?.phase, n.pod('m-third').status?.reason, n.pod('m-third').status?.message], ['Failed', 'OutOfpods', "Pod was rejected: Node didn't have enough resource: pods, requested: 1, used: 2, capacity: 2"]);
    assert.equal(runtime.starts, 0, 'the refused pod started nothing');
    await s.sync(n.pod('a-second'));
    await s.sync(n.pod('z-first'));
    assert.equal(runtime.starts, 2, 'both earlier pods run');
    assert.notEqual(n.pod('a-second').status?.phase, 'Failed');
    assert.notEqual(n.pod('z-first').status?.phase, 'Failed');
  } finally {
    s.probes.stop();
  }
});

test('two workers judging at once cannot both take the last place', async () => {
  // Created in the same second: the tie goes by name, whichever worker asks first.
  const n = node([{ name: 'b', at: 0 }, { name: 'a', at: 0 }]);
  const runtime = new FakeRuntime({ now: () => T0 });
  const s = await syncer(n.client, runtime, n.stored, { cpu: '4', memory: '8Gi', pods: '1' });
  try {
    await Promise.all([s.sync(n.pod('b')), s.sync(n.pod('a'))]);
    assert.equal(n.pod('b').status?.reason, 'OutOfpods');
    assert.notEqual(n.pod('a').status?.phase, 'Failed');
    assert.equal(runtime.starts, 1);
  } finally {
    s.probes.stop();
  }
});

test('a restarted agent judges the pods it finds running again: one that no longer fits is killed and Failed, the others keep running untouched', async () => {
  const n = node([{ name: 'old', at: 0, cpu: '1' }, { name: 'big', at: 1, cpu: '2' }, { name: 'small', at: 2, cpu: '500m' }]);
  const runtime = new FakeRuntime({ now: () => T0 });
  const first = await syncer(n.client, runtime, n.stored, { cpu: '4', memory: '8Gi', pods: '110' });
  try {
    for (const name of ['old', 'big', 'small']) await first.sync(n.pod(name));
  } finally {
    first.probes.stop();
  }
  assert.equal(runtime.starts, 3);
  assert.deepEqual(n.stored().map((p) => p.status?.phase), ['Running', 'Running', 'Running']);
  // The next agent has 2 cpus: old (1) fits, big (2) does not beside it, small (0.5) still does.
  const second = await syncer(n.client, runtime, n.stored, { cpu: '2', memory: '8Gi', pods: '110' });
  try {
    for (const name of ['small', 'big', 'old']) await second.sync(n.pod(name));
    const big = n.pod('big');
    assert.deepEqual([big.status?.phase, big.status?.reason, big.status?.message], ['Failed', 'OutOfcpu', "Pod was rejected: Node didn't have enough resource: cpu, requested: 2000, used: 1000, capacity: 2000"]);
    assert.equal(big.status?.containerStatuses?.[0]?.state?.terminated !== undefined, true, 'its container is reported terminated');
    const bigContainers = (await runtime.list()).containers.filter((c) => c.pod.name === 'big');
    assert.deepEqual(bigContainers.map((c) => c.state), ['exited'], 'its container was stopped');
    assert.equal(runtime.calls.find((c) => c.op === 'stop' && c.id === bigContainers[0]!.id)?.grace, 2, 'with the 1 s override raised to 2 s');
    assert.equal(runtime.starts, 3, 'nothing started again');
    assert.equal(n.pod('old').status?.phase, 'Running');
    assert.equal(n.pod('small').status?.phase, 'Running');
    // Its next sync (the informer's Failed copy) leaves it as it is.
    await second.sync(n.pod('big'));
    assert.equal(n.pod('big').status?.reason, 'OutOfcpu');
  } finally {
    second.probes.stop();
  }
});

test('a running pod whose RuntimeClass is gone keeps running after a restart; a new one is refused', async () => {
  const n = node([{ name: 'p', at: 0 }]);
  const runtime = new FakeRuntime({ now: () => T0 });
  const first = await syncer(n.client, runtime, n.stored, { cpu: '4', memory: '8Gi', pods: '110' });
  try {
    await first.sync(n.pod('p'));
  } finally {
    first.probes.stop();
  }
  // The older agent ran it; its RuntimeClass was deleted since.
  const withClass = { ...n.pod('p'), spec: { ...n.pod('p').spec!, runtimeClassName: 'gone' } } as Pod;
  const second = await syncer(n.client, runtime, () => [withClass], { cpu: '4', memory: '8Gi', pods: '110' });
  try {
    await second.sync(withClass);
    assert.equal(n.pod('p').status?.phase, 'Running');
    assert.equal(runtime.starts, 1);
  } finally {
    second.probes.stop();
  }
  const fresh = node([{ name: 'q', at: 0 }]);
  const q = { ...fresh.pod('q'), spec: { ...fresh.pod('q').spec!, runtimeClassName: 'gone' } } as Pod;
  const third = await syncer(fresh.client, new FakeRuntime({ now: () => T0 }), () => [q], { cpu: '4', memory: '8Gi', pods: '110' });
  try {
    await third.sync(q);
    assert.equal(fresh.pod('q').status?.reason, 'RuntimeClassNotFound');
  } finally {
    third.probes.stop();
  }
});
