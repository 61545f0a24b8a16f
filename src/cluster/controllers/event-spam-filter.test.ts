import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeApiClient } from '../client/fake.ts';
import { resources } from '../client/resources.ts';
import type { K8sObject } from '../client/types.ts';
import { settle } from '../client/fake-clock.ts';
import { newCountingEventRecorder } from './event-series.ts';
import { newEventRecorder } from './events.ts';
import { EVENTS } from './resources.ts';

/** A client counting its writes. */
function counting() {
  const client = new FakeApiClient();
  const writes = { create: 0, patch: 0 };
  const create = client.create.bind(client);
  const patch = client.patch.bind(client);
  client.create = ((...a: Parameters<typeof create>) => (writes.create++, create(...a))) as typeof client.create;
  client.patch = ((...a: Parameters<typeof patch>) => (writes.patch++, patch(...a))) as typeof client.patch;
  return { client, writes };
}

const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns', uid: `u-${name}` } }) as K8sObject;

test('the agent\'s recorder: 25 writes about one object, then one per 5 minutes (EventSourceObjectSpamFilter); other objects have their own', async () => {
  const { client, writes } = counting();
  let t = Date.UTC(2026, 0, 1);
  let n = 0;
  const rec = newCountingEventRecorder({ client, component: 'kubelet', host: 'n1', now: () => t, suffix: () => String(++n), log: { error() {} } });
  // Two Warnings a sync, a sync a minute, for an hour: MissingClusterDNS's shape.
  for (let minute = 0; minute < 60; minute++) {
    rec.event(pod('a'), resources.pods, 'Warning', 'MissingClusterDNS', 'pod: "a" . kubelet does not have ClusterDNS IP configured');
    rec.event(pod('a'), resources.pods, 'Warning', 'MissingClusterDNS', 'pod: "a" . kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy');
    await settle();
    t += 60_000;
  }
  // The burst of 25 (2 creates, then count patches), plus the tokens refilled at one per 300 s over
  // the 59 minutes: 11 more, 36 writes instead of 120.
  assert.equal(writes.create + writes.patch, 25 + 11, JSON.stringify(writes));
  // Counted while skipped, as eventObserve runs before the filter: the last patch carries the true count.
  const counts = (await client.list<K8sObject>(EVENTS, 'ns')).items.map((e) => e.count as number);
  assert.ok(Math.max(...counts) > 40, String(counts));
  // Another pod: a bucket of its own.
  rec.event(pod('b'), resources.pods, 'Warning', 'MissingClusterDNS', 'x');
  await settle();
  assert.equal(writes.create + writes.patch, 37);
});

test('the controllers\' recorder applies the same filter', async () => {
  const { client, writes } = counting();
  let n = 0;
  const t = Date.UTC(2026, 0, 1);
  const rec = newEventRecorder({ client, component: 'job-controller', now: () => t, suffix: () => String(++n), log: { error() {} } });
  for (let i = 0; i < 40; i++) rec.event(pod('j'), resources.pods, 'Normal', 'SuccessfulCreate', `Created pod: j-${i}`);
  await settle();
  assert.equal(writes.create, 25);
});

test('the agent\'s recorder combines a reason\'s 10th distinct message on (EventAggregator), within 10 minutes', async () => {
  const { client } = counting();
  let t = Date.UTC(2026, 0, 1);
  let n = 0;
  const rec = newCountingEventRecorder({ client, component: 'kubelet', host: 'n1', now: () => t, suffix: () => String(++n), log: { error() {} } });
  for (let i = 0; i < 12; i++) rec.event(pod('a'), resources.pods, 'Warning', 'Failed', `Error: ${i}`);
  await settle();
  const events = async () => (await client.list<K8sObject>(EVENTS, 'ns')).items.map((e) => [e.message as string, e.count]).sort((x, y) => x[0]!.localeCompare(y[0]!));
  assert.deepEqual(await events(), [
    ['(combined from similar events): Error: 9', 3],
    // (the 10th, 11th and 12th: one Event, counted)
    ...Array.from({ length: 9 }, (_, i) => [`Error: ${i}`, 1]),
  ]);
  // Past 10 minutes the record starts over: a new message is its own Event again.
  t += 601_000;
  rec.event(pod('a'), resources.pods, 'Warning', 'Failed', 'Error: 12');
  await settle();
  assert.deepEqual((await events()).filter((e) => e[0] === 'Error: 12'), [['Error: 12', 1]]);
});
