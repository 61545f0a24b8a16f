import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { FakeApiClient } from '../client/fake.ts';
import type { ClientConfig } from '../client/types.ts';
import { startSchedulerProcess } from './process.ts';

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
