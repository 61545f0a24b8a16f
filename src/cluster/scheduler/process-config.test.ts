import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { FakeApiClient, fakeInformerFactory } from '../client/fake.ts';
import { resources } from '../client/resources.ts';
import type { ClientConfig } from '../client/types.ts';
import { startSchedulerProcess } from './process.ts';
import { startScheduler } from './scheduler.ts';
import { makeNode, makePod } from './testing.ts';

const silent = { info() {}, warn() {}, error() {} };

test("the configuration's lease name/namespace and contentType reach the scheduler process", async () => {
  const configs: ClientConfig[] = [];
  const clients: FakeApiClient[] = [];
  const p = await startSchedulerProcess({
    server: 'https://fake.invalid',
    mintIdentity: async () => ({ caPem: '' }),
    leaderElection: { identity: 'me', leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 },
    lease: { namespace: 'sched', name: 'my-scheduler' },
    protobuf: true,
    log: silent,
    makeClient: (config) => {
      configs.push(config);
      const c = new FakeApiClient({ config });
      clients.push(c);
      return c;
    },
  });
  for (let i = 0; i < 100 && !p.isLeader(); i++) await delay(10);
  assert.ok(p.isLeader(), 'became leader');
  const leaseCalls = clients[0]!.actions.filter((a) => a.resource.resource === 'leases');
  assert.ok(leaseCalls.length > 0);
  assert.ok(leaseCalls.every((a) => a.namespace === 'sched' && a.name === 'my-scheduler'), JSON.stringify(leaseCalls.map((a) => [a.verb, a.namespace, a.name])));
  assert.equal(configs.find((c) => c.userAgent.endsWith('/scheduler'))?.protobuf, true);
  await p.stop();
});

test("the configuration's backoff reaches the queue, and qps/burst limit the scheduling client's requests", async () => {
  const clients = new Map<string, FakeApiClient>();
  const p = await startSchedulerProcess({
    server: 'https://fake.invalid',
    mintIdentity: async () => ({ caPem: '' }),
    leaderElection: false,
    backoff: { initialMs: 2_000, maxMs: 30_000 },
    // A clock that never moves: after the burst of 1 no token comes back.
    rateLimit: { qps: 0.001, burst: 1 },
    now: () => 0,
    log: silent,
    makeClient: (config) => {
      const c = new FakeApiClient({ config });
      clients.set(config.userAgent, c);
      return c;
    },
  });
  assert.deepEqual(p.current()!.queue.backoff, { initialMs: 2_000, maxMs: 30_000 });
  await delay(100);
  const sched = [...clients].find(([ua]) => ua.endsWith('/scheduler'))![1];
  // The informers list nodes, pods and namespaces: only the first gets through.
  assert.equal(sched.actions.filter((a) => a.verb === 'list').length, 1);
  await p.stop();
});

test('Events go through the event client, so a rate limit on it is not shared with binds (upstream createClients)', async () => {
  const client = new FakeApiClient();
  const eventClient = new FakeApiClient();
  const factory = fakeInformerFactory(client);
  const nodes = factory.informer(resources.nodes);
  const pods = factory.informer(resources.pods);
  client.seed(resources.nodes, makeNode('n1', { cpu: '2' }));
  client.seed(resources.pods, makePod('a', { cpu: '100m' }));
  factory.start();
  const s = startScheduler({ client, eventClient, informers: { nodes, pods } as never, random: () => 0, now: () => 1_700_000_000_000, log: silent });
  try {
    await s.idle();
    const isEvent = (a: { verb: string; resource: { resource: string } }) => a.verb === 'create' && a.resource.resource === 'events';
    assert.ok(client.actions.some((a) => a.subresource === 'binding' && a.name === 'a'), 'bound through the scheduling client');
    assert.equal(eventClient.actions.filter(isEvent).length, 1, 'the Scheduled event through the event client');
    assert.equal(client.actions.filter(isEvent).length, 0);
  } finally {
    await s.stop();
    factory.stop();
  }
});
