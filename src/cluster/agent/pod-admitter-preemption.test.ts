import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { FakeApiClient } from '../client/fake.ts';
import { FakeClock } from '../client/fake-clock.ts';
import { resources } from '../client/resources.ts';
import type { K8sObject } from '../client/types.ts';
import { FakeImageService, FakeRuntime } from './runtime/fake.ts';
import { PodSyncer } from './pod-sync.ts';

const quiet = { warn() {}, info() {} };

/** A 1.2-cpu node holding `low` (600m, grace 4) and `leaving` (500m, then being deleted); `crit` (600m, critical) comes after. */
function setup(wake: (uid: string) => void, lowGrace = 4) {
  const clock = new FakeClock();
  // Created a second apart, in this order (admission goes by creation).
  let created = clock.now();
  const client = new FakeApiClient({ now: () => new Date((created += 1000)) });
  const mk = (name: string, cpu: string, extra: Record<string, unknown> = {}, meta: Record<string, unknown> = {}) => client.seed<K8sObject>(resources.pods, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', ...meta },
    spec: { nodeName: 'n', containers: [{ name: 'c', image: 'img:1', imagePullPolicy: 'IfNotPresent', resources: { requests: { cpu } } }], ...extra },
  });
  mk('low', '600m', { terminationGracePeriodSeconds: lowGrace, priority: 0 });
  mk('leaving', '500m', { priority: 0 });
  mk('crit', '600m', { priority: 2_000_000_000 });
  const deleting = new Set<string>();
  const pods = () => (client.stored<K8sObject>(resources.pods, 'default') as Pod[]).map((p) => (deleting.has(p.metadata?.name ?? '') ? { ...p, metadata: { ...p.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } } : p));
  const pod = (name: string) => pods().find((p) => p.metadata?.name === name)!;
  const events: string[] = [];
  const runtime = new FakeRuntime({ now: clock.now });
  const s = new PodSyncer({
    runtime, images: new FakeImageService(), client, hostIP: '10.0.0.1', allocatable: { cpu: '1200m', memory: '8Gi', pods: '110' }, scheme: 'fake', now: clock.now, pods, requeueAfter() {}, wake, timers: clock, log: quiet,
    recorder: { event: (o, _r, type, reason, message) => events.push(`${o.metadata.name} ${type} ${reason} ${message}`) },
  });
  return { clock, runtime, s, pod, events, deleting };
}

test('a critical pod waits for its victim\'s kill at most max(10 s, 1.5 x its grace), then is admitted; a pod being deleted is no victim', async () => {
  const woken: string[] = [];
  const n = setup((uid) => woken.push(uid));
  try {
    await n.s.sync(n.pod('low'));
    await n.s.sync(n.pod('leaving'));
    assert.equal(n.runtime.starts, 2);
    // leaving (500m, the smaller request) would be the victim, but it is being deleted already.
    n.deleting.add('leaving');
    // The victim's worker does not run (woken only): the critical pod's admission waits for it.
    let admitted = false;
    const crit = n.s.sync(n.pod('crit')).then(() => (admitted = true));
    await n.clock.advance(9_000);
    assert.deepEqual(woken, [n.pod('low').metadata?.uid], 'only low: leaving is being deleted');
    assert.equal(admitted, false, 'still waiting after 9 s');
    const warnings = () => n.events.filter((e) => e.includes(' Warning '));
    assert.deepEqual(warnings(), ['low Warning Preempting Preempted in order to admit critical pod']);
    await n.clock.advance(1_000);
    await crit;
    assert.equal(warnings()[1], 'low Warning ExceededGracePeriod Container runtime did not kill the pod within specified grace period.');
    assert.equal(n.runtime.starts, 3, 'then admitted and started');
    // The victim's worker gets to it: killed with its own grace, Failed/Preempting with the condition.
    await n.s.sync(n.pod('low'));
    const low = n.pod('low');
    assert.deepEqual([low.status?.phase, low.status?.reason, low.status?.message], ['Failed', 'Preempting', 'Preempted in order to admit critical pod']);
    assert.deepEqual(low.status?.conditions?.filter((c) => c.type === 'DisruptionTarget').map((c) => [c.status, c.reason, c.message]), [['True', 'TerminationByKubelet', 'Pod was preempted by Kubelet to accommodate a critical pod.']]);
    assert.deepEqual(n.runtime.calls.filter((c) => c.op === 'stop').map((c) => c.grace), [4]);
  } finally {
    n.s.probes.stop();
  }
});

test('a victim killed by its worker ends the wait at once; of two that would do, the smaller request goes', async () => {
  let n!: ReturnType<typeof setup>;
  const byUid = (uid: string) => ['low', 'leaving'].find((name) => n.pod(name).metadata?.uid === uid)!;
  n = setup((uid) => void n.s.sync(n.pod(byUid(uid))));
  try {
    await n.s.sync(n.pod('low'));
    await n.s.sync(n.pod('leaving'));
    await n.s.sync(n.pod('crit'));
    assert.equal(n.pod('leaving').status?.reason, 'Preempting');
    assert.equal(n.pod('low').status?.phase, 'Running');
    assert.equal(n.runtime.starts, 3);
    assert.equal(n.events.some((e) => e.includes('ExceededGracePeriod')), false);
    assert.equal(n.clock.timers, 0, 'the bound\'s timer is cleared');
  } finally {
    n.s.probes.stop();
  }
});

test('the wait for a victim with a very long grace period is bounded by the longest timer Node keeps (a longer one would fire at once)', async () => {
  const n = setup(() => {}, 10_000_000);
  const delays: number[] = [];
  const schedule = n.clock.setTimeout.bind(n.clock);
  n.clock.setTimeout = (fn: () => void, ms: number) => (delays.push(ms), schedule(fn, ms));
  try {
    await n.s.sync(n.pod('low'));
    await n.s.sync(n.pod('leaving'));
    n.deleting.add('leaving');
    let admitted = false;
    const crit = n.s.sync(n.pod('crit')).then(() => (admitted = true));
    await n.clock.advance(1_000);
    assert.equal(admitted, false);
    // 1.5 x 10,000,000 s is past setTimeout's 2^31-1 ms, which Node runs after 1 ms instead.
    assert.ok(delays.includes(2 ** 31 - 1), `the bound's timer: ${delays.join(', ')}`);
    assert.ok(delays.every((ms) => ms <= 2 ** 31 - 1));
    await n.clock.advance(2 ** 31);
    await crit;
    assert.equal(admitted, true);
  } finally {
    n.s.probes.stop();
  }
});
