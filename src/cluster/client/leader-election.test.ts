import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeApiClient } from './fake.ts';
import { FakeClock } from './fake-clock.ts';
import { ApiStatusError } from './errors.ts';
import { startLeaderElection, type LeaseLeaderElector } from './leader-election.ts';
import { resources } from './resources.ts';
import type { K8sObject } from './types.ts';

const timing = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

function elect(client: FakeApiClient, clock: FakeClock, identity: string, events: string[]): LeaseLeaderElector {
  return startLeaderElection(client, {
    namespace: 'kube-system', name: 'kube-scheduler', identity, ...timing,
    onStartedLeading: () => events.push(`${identity} started`),
    onStoppedLeading: () => events.push(`${identity} stopped`),
  }, { timers: clock, now: clock.now, random: () => 0 });
}

async function lease(c: FakeApiClient): Promise<K8sObject['spec']> {
  return (await c.get<K8sObject>(resources.leases, 'kube-system', 'kube-scheduler')).spec;
}

test('two electors on one Lease: one leads; the other takes over at once after the first stops (released)', async () => {
  const client = new FakeApiClient();
  const clock = new FakeClock();
  const events: string[] = [];
  const a = elect(client, clock, 'a', events);
  await clock.advance(0);
  const b = elect(client, clock, 'b', events);
  await clock.advance(60_000);
  assert.deepEqual(events, ['a started']);
  assert.ok(a.isLeader() && !b.isLeader());
  const held = await lease(client);
  assert.equal(held.holderIdentity, 'a');
  assert.equal(held.leaseDurationSeconds, 15);
  assert.equal(held.leaseTransitions, 0);
  assert.match(held.renewTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  assert.notEqual(held.renewTime, held.acquireTime, 'renewed since acquired');

  await a.stop();
  assert.equal((await lease(client)).holderIdentity, '', 'released on stop');
  await clock.advance(timing.retryPeriodMs);
  assert.deepEqual(events, ['a started', 'a stopped', 'b started']);
  const taken = await lease(client);
  assert.equal(taken.holderIdentity, 'b');
  assert.equal(taken.leaseTransitions, 1);
  await b.stop();
});

test('a leader that cannot renew for renewDeadline stops leading; the other takes over only after the lease expires', async () => {
  const client = new FakeApiClient();
  const clock = new FakeClock();
  const events: string[] = [];
  const a = elect(client, clock, 'a', events);
  await clock.advance(0);
  const b = elect(client, clock, 'b', events);
  await clock.advance(4_000);
  assert.ok(a.isLeader());
  // From now on every write of a fails (a is cut off from the API; b is not).
  client.addReactor((x) => (x.verb === 'update' && (x.object as K8sObject).spec?.holderIdentity === 'a' ? new ApiStatusError(500, 'InternalError', 'etcd down') : undefined));
  const lastRenew = Date.parse((await lease(client)).renewTime);
  await clock.advance(timing.renewDeadlineMs);
  assert.ok(!a.isLeader(), 'a gave up after the renew deadline');
  assert.ok(!b.isLeader(), 'the lease has not expired yet for b');
  await clock.advance(lastRenew + timing.leaseDurationMs - clock.now() - 1);
  assert.ok(!b.isLeader(), 'b waits out the whole lease duration');
  await clock.advance(3 * timing.retryPeriodMs);
  assert.ok(b.isLeader() && !a.isLeader(), 'b took over after expiry');
  const taken = await lease(client);
  assert.equal(taken.holderIdentity, 'b');
  assert.equal(taken.leaseTransitions, 1);
  assert.deepEqual(events, ['a started', 'a stopped', 'b started']);
  await a.stop();
  await b.stop();
  assert.equal(events.filter((e) => e.endsWith('started')).length, events.filter((e) => e.endsWith('stopped')).length);
});

test('configuration is checked as NewLeaderElector does', () => {
  const client = new FakeApiClient();
  const base = { namespace: 'n', name: 'l', identity: 'x', onStartedLeading() {}, onStoppedLeading() {} };
  assert.throws(() => startLeaderElection(client, { ...base, leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2000 }), /leaseDuration must be greater than renewDeadline/);
  assert.throws(() => startLeaderElection(client, { ...base, leaseDurationMs: 15_000, renewDeadlineMs: 2000, retryPeriodMs: 2000 }), /renewDeadline must be greater than retryPeriod\*JitterFactor/);
});
