import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeApiClient } from '../client/fake.ts';
import { resources } from '../client/resources.ts';
import type { K8sObject } from '../client/types.ts';
import { EventSeriesCache, FINISH_MS, isomorphicKey, writeEvent } from './event-series.ts';
import { podEvent } from './pod-status.ts';

const T0 = Date.parse('2026-05-01T10:00:00Z');
const pod = (rv: string) => ({ metadata: { name: 'big', namespace: 'ns', uid: 'u1', resourceVersion: rv } }) as never;
const failed = (rv: string, now: number, message = '0/1 nodes are available: 1 Insufficient cpu.') =>
  podEvent(pod(rv), { type: 'Warning', reason: 'FailedScheduling', action: 'Scheduling', message, component: 'default-scheduler', instance: 'default-scheduler-h', now });

function setup() {
  const clock = { t: T0 };
  const written: K8sObject[] = [];
  const cache = new EventSeriesCache({ record: (e) => written.push(e), now: () => clock.t, maxEvents: 3 });
  return { clock, written, cache };
}

test('the second isomorphic event starts a series on the first; later ones only count until the series is written', () => {
  const { clock, written, cache } = setup();
  const first = failed('5', clock.t);
  cache.record(first);
  assert.deepEqual(written, [first]);
  clock.t += 1_000;
  cache.record(failed('5', clock.t));
  assert.equal(written.length, 2);
  // The first event again (its name), now with a series; the queued first write is not touched.
  assert.equal(written[1]!.metadata.name, first.metadata.name);
  assert.deepEqual(written[1]!.series, { count: 2, lastObservedTime: '2026-05-01T10:00:01.000000Z' });
  assert.equal(first.series, undefined);
  clock.t += 1_000;
  cache.record(failed('5', clock.t));
  clock.t += 500;
  // The note is not part of what makes events the same one (upstream's getKey).
  cache.record(failed('5', clock.t, 'another message'));
  assert.equal(written.length, 2, 'counted, not written');
  // Another revision of the pod is another event (regarding includes the resourceVersion).
  cache.record(failed('6', clock.t));
  assert.equal(written.length, 3);
  // refresh writes every live series with its count so far.
  cache.refresh();
  assert.equal(written.length, 4);
  assert.deepEqual(written[3]!.series, { count: 4, lastObservedTime: '2026-05-01T10:00:02.500000Z' });
  // After FINISH_MS without an occurrence: written a last time and forgotten; the singleton too.
  clock.t += FINISH_MS + 10_000;
  cache.finish();
  assert.equal(written.length, 5);
  assert.equal(written[4]!.series.count, 4);
  assert.equal(cache.size, 0);
  cache.record(failed('5', clock.t));
  assert.equal(written[5]!.series, undefined, 'a new event after the series ended');
});

test('bounded: past maxEvents the oldest is forgotten first', () => {
  const { clock, written, cache } = setup();
  for (const rv of ['1', '2', '3', '4']) cache.record(failed(rv, clock.t));
  assert.equal(cache.size, 3);
  cache.record(failed('1', clock.t));
  assert.equal(written.length, 5);
  assert.equal(written[4]!.series, undefined, 'the first was forgotten: a new event, not a series');
  cache.record(failed('4', clock.t));
  assert.equal(written[5]!.series.count, 2);
});

test('isomorphicKey: type, action, reason, reporting controller and instance, regarding, related', () => {
  const a = failed('5', T0);
  assert.equal(isomorphicKey(a), isomorphicKey(failed('5', T0 + 99)));
  for (const change of [{ type: 'Normal' }, { action: 'Binding' }, { reason: 'Scheduled' }, { reportingController: 'x' }, { reportingInstance: 'x' }, { related: { kind: 'Node', name: 'n' } }]) {
    assert.notEqual(isomorphicKey({ ...a, ...change }), isomorphicKey(a), JSON.stringify(change));
  }
});

test('writeEvent: a first occurrence is created; a series patches the existing Event, or creates it when it is gone', async () => {
  const client = new FakeApiClient();
  // The fake applies merge patches only; for the one struct field a series patch sets, strategic and merge agree.
  const types: string[] = [];
  const patch = client.patch.bind(client);
  client.patch = ((r, ns, name, type, body, ...rest) => (types.push(type), patch(r, ns, name, type === 'strategic' ? 'merge' : type, body, ...rest))) as typeof client.patch;
  const e = failed('5', T0);
  await writeEvent(client, e);
  await writeEvent(client, { ...e, series: { count: 2, lastObservedTime: '2026-05-01T10:00:01.000000Z' } });
  const stored = client.stored<K8sObject>(resources.eventsV1, 'ns');
  assert.equal(stored.length, 1);
  assert.deepEqual(stored[0]!.series, { count: 2, lastObservedTime: '2026-05-01T10:00:01.000000Z' });
  assert.equal(client.actions.find((a) => a.verb === 'patch')?.name, e.metadata.name);
  assert.deepEqual(types, ['strategic']);
  await client.delete(resources.eventsV1, 'ns', e.metadata.name!);
  await writeEvent(client, { ...e, series: { count: 3, lastObservedTime: '2026-05-01T10:00:02.000000Z' } });
  assert.equal(client.stored<K8sObject>(resources.eventsV1, 'ns')[0]!.series.count, 3);
});
