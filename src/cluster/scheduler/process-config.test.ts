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
