import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeApiClient } from './client/fake.ts';
import { FakeClock, settle } from './client/fake-clock.ts';
import { resources } from './client/resources.ts';
import type { K8sObject } from './client/types.ts';
import { runWhileLeading } from './leader-gate.ts';

const silent = { info() {}, warn() {}, error() {} };
const lease = { namespace: 'kube-system', name: 'kube-controller-manager' };

function gate(client: FakeApiClient, clock: FakeClock, identity: string, events: string[]) {
  return runWhileLeading(client, lease, { identity }, () => {
    events.push(`${identity} run`);
    return { stop: async () => void events.push(`${identity} stop`) };
  }, silent, { timers: clock, now: clock.now, random: () => 0 });
}

test('two managers on one Lease: only the leader runs; the other runs only after the leader stops', async () => {
  const client = new FakeApiClient();
  const clock = new FakeClock();
  const events: string[] = [];
  const a = gate(client, clock, 'a', events);
  await clock.advance(0);
  await settle();
  const b = gate(client, clock, 'b', events);
  await clock.advance(60_000);
  await settle();
  assert.deepEqual(events, ['a run']);
  assert.ok(a.isLeader() && !b.isLeader());

  await a.stop();
  assert.deepEqual(events, ['a run', 'a stop'], 'stops acting before releasing');
  await clock.advance(2_000);
  await settle();
  assert.deepEqual(events, ['a run', 'a stop', 'b run']);
  assert.ok(b.isLeader());
  await b.stop();
  assert.deepEqual(events, ['a run', 'a stop', 'b run', 'b stop']);
});

test('losing the Lease stops the component; winning it again starts a fresh one', async () => {
  const client = new FakeApiClient();
  const clock = new FakeClock();
  const events: string[] = [];
  const a = gate(client, clock, 'a', events);
  await clock.advance(0);
  await settle();
  assert.deepEqual(events, ['a run']);
  // Someone else takes the Lease (as after a partition): a's renewals fail from now on.
  const held = await client.get<K8sObject>(resources.leases, lease.namespace, lease.name);
  await client.update(resources.leases, lease.namespace, { ...held, spec: { ...held.spec, holderIdentity: 'other', renewTime: held.spec.renewTime } });
  await clock.advance(12_000);
  await settle();
  assert.deepEqual(events, ['a run', 'a stop']);
  assert.ok(!a.isLeader());
  // The other holder vanishes without renewing: after a lease duration a takes over again.
  await clock.advance(30_000);
  await settle();
  assert.deepEqual(events, ['a run', 'a stop', 'a run']);
  await a.stop();
});

test('without leader election the component runs at once', async () => {
  const events: string[] = [];
  const g = runWhileLeading(new FakeApiClient(), lease, undefined, () => {
    events.push('run');
    return { stop: async () => void events.push('stop') };
  }, silent);
  assert.deepEqual(events, ['run']);
  await g.stop();
  assert.deepEqual(events, ['run', 'stop']);
});
