import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeApiClient } from '../client/fake.ts';
import { resources } from '../client/resources.ts';
import type { K8sObject } from '../client/types.ts';
import { settle } from '../client/fake-clock.ts';
import { newCountingEventRecorder } from './event-series.ts';
import { EVENTS } from './resources.ts';

test('identical occurrences become one Event with a count; a different one or a deleted Event starts a new one; bounded', async () => {
  const client = new FakeApiClient();
  let t = Date.UTC(2026, 0, 1);
  let n = 0;
  const rec = newCountingEventRecorder({ client, component: 'kubelet', host: 'n1', now: () => t, suffix: () => String(++n), log: { error() {} } }, 2);
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', uid: 'u1' } } as K8sObject;
  const events = async () => (await client.list<K8sObject>(EVENTS, 'ns')).items.map((e) => [e.metadata.name, e.reason, e.message, e.count, e.lastTimestamp]);
  for (let i = 0; i < 3; i++) {
    rec.event(pod, resources.pods, 'Warning', 'Unhealthy', 'Readiness probe failed: 503', 'spec.containers{c}');
    await settle();
    t += 10_000;
  }
  assert.deepEqual(await events(), [['p.1', 'Unhealthy', 'Readiness probe failed: 503', 3, '2026-01-01T00:00:20Z']]);
  rec.event(pod, resources.pods, 'Warning', 'Unhealthy', 'Readiness probe failed: 500', 'spec.containers{c}');
  await settle();
  assert.equal((await events()).length, 2, 'another message is another Event');
  await client.delete(EVENTS, 'ns', 'p.1');
  rec.event(pod, resources.pods, 'Warning', 'Unhealthy', 'Readiness probe failed: 503', 'spec.containers{c}');
  await settle();
  assert.deepEqual((await events()).map((e) => [e[2], e[3]]), [['Readiness probe failed: 500', 1], ['Readiness probe failed: 503', 1]], 'the patch of a deleted Event falls back to a new one');
  // At most 2 remembered: the oldest (the 500's) is forgotten, so its next occurrence is a new Event.
  rec.event(pod, resources.pods, 'Normal', 'Killing', 'x', 'spec.containers{c}');
  await settle();
  rec.event(pod, resources.pods, 'Warning', 'Unhealthy', 'Readiness probe failed: 500', 'spec.containers{c}');
  await settle();
  assert.deepEqual((await events()).filter((e) => e[2] === 'Readiness probe failed: 500').map((e) => e[3]), [1, 1]);
});

test('writes go out one at a time in the order recorded, from a bounded queue', async () => {
  const calls: Array<{ what: string; done(): void; fail(): void }> = [];
  const call = (what: string) => new Promise<K8sObject>((resolve, reject) => calls.push({ what, done: () => resolve({} as K8sObject), fail: () => reject(new Error('gone')) }));
  const client = {
    create: (_r: unknown, _ns: string, ev: K8sObject) => call(`create ${ev.reason}`),
    patch: (_r: unknown, _ns: string, name: string, _t: string, body: { count: number }) => call(`patch ${name} ${body.count}`),
  } as unknown as FakeApiClient;
  const errors: string[] = [];
  let n = 0;
  const rec = newCountingEventRecorder({ client, component: 'kubelet', host: 'n1', now: () => Date.UTC(2026, 0, 1), suffix: () => String(++n), log: { error: (_o, m) => errors.push(String(m)) } }, 4096, 3);
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', uid: 'u1' } } as K8sObject;
  rec.event(pod, resources.pods, 'Normal', 'Pulled', 'present', 'spec.containers{c}');
  rec.event(pod, resources.pods, 'Normal', 'Created', 'created', 'spec.containers{c}');
  rec.event(pod, resources.pods, 'Normal', 'Pulled', 'present', 'spec.containers{c}');
  rec.event(pod, resources.pods, 'Normal', 'Started', 'started', 'spec.containers{c}');
  // One in flight, three queued: the fifth is dropped (and said so once).
  rec.event(pod, resources.pods, 'Normal', 'Killing', 'stop', 'spec.containers{c}');
  await settle();
  assert.deepEqual(calls.map((c) => c.what), ['create Pulled']);
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /event queue full: dropping events/);
  calls[0]!.done();
  await settle();
  assert.deepEqual(calls.map((c) => c.what), ['create Pulled', 'create Created']);
  calls[1]!.done();
  await settle();
  // The repeat patches the first Event (count 2); its failure (expired) creates a new one before the next write.
  assert.deepEqual(calls.map((c) => c.what).slice(2), ['patch p.1 2']);
  calls[2]!.fail();
  await settle();
  assert.deepEqual(calls.map((c) => c.what).slice(3), ['create Pulled']);
  calls[3]!.done();
  await settle();
  assert.deepEqual(calls.map((c) => c.what).slice(4), ['create Started']);
  calls[4]!.done();
  await settle();
  assert.equal(calls.length, 5);
  // The queue drained: the next event is written at once.
  rec.event(pod, resources.pods, 'Normal', 'Killing', 'stop', 'spec.containers{c}');
  await settle();
  assert.deepEqual(calls.map((c) => c.what).slice(5), ['create Killing']);
});
