import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeApiClient, fakeInformerFactory } from '../client/fake.ts';
import { resources } from '../client/resources.ts';
import type { ClientConfig } from '../client/types.ts';
import { startSchedulerProcess } from './process.ts';
import { DEFAULT_PARALLEL_BINDS, schedulerClientConnections, startScheduler } from './scheduler.ts';
import { makeNode, makePod } from './testing.ts';

const silent = { info() {}, warn() {}, error() {} };

async function schedulerClientConfig(parallelBinds?: number): Promise<ClientConfig> {
  const configs: ClientConfig[] = [];
  const p = await startSchedulerProcess({
    server: 'https://fake.invalid',
    mintIdentity: async () => ({ caPem: '' }),
    leaderElection: false,
    log: silent,
    ...(parallelBinds !== undefined ? { parallelBinds } : {}),
    makeClient: (config) => (configs.push(config), new FakeApiClient({ config })),
  });
  await p.stop();
  const c = configs.find((x) => x.userAgent.endsWith('/scheduler'));
  assert.ok(c, 'the scheduling client was made');
  return c;
}

test("the scheduler's client has a connection for each bind in flight and each event beside it", async () => {
  // The client's default (32) would make 64 binds and their events queue for a socket.
  assert.equal((await schedulerClientConfig(64)).maxConnections, 2 * 64 + 8);
  assert.equal((await schedulerClientConfig()).maxConnections, schedulerClientConnections(DEFAULT_PARALLEL_BINDS));
  assert.ok(schedulerClientConnections(DEFAULT_PARALLEL_BINDS) > 2 * DEFAULT_PARALLEL_BINDS);
});

test('binds and their Scheduled events in flight at once stay within schedulerClientConnections', async () => {
  const parallelBinds = 3;
  const client = new FakeApiClient();
  const factory = fakeInformerFactory(client);
  const nodes = factory.informer(resources.nodes);
  const pods = factory.informer(resources.pods);
  client.seed(resources.nodes, makeNode('n1', { cpu: '8' }));
  for (let i = 0; i < 12; i++) client.seed(resources.pods, makePod(`p${i}`, { cpu: '100m' }));
  const held: Array<() => void> = [];
  let inFlight = 0;
  let peak = 0;
  const hold = async <T>(call: () => Promise<T>): Promise<T> => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise<void>((r) => held.push(r));
    inFlight--;
    return call();
  };
  const post = client.postSubresource.bind(client);
  const create = client.create.bind(client);
  client.postSubresource = ((...a: Parameters<typeof post>) => hold(() => post(...a))) as typeof post;
  client.create = ((...a: Parameters<typeof create>) => hold(() => create(...a))) as typeof create;
  factory.start();
  const s = startScheduler({ client, informers: { nodes, pods } as never, random: () => 0, now: () => 1_700_000_000_000, log: silent, parallelBinds });
  try {
    let done = false;
    const idle = s.idle().then(() => (done = true));
    // Release one held call at a time, after letting the scheduler fill every slot it has.
    for (let i = 0; i < 5_000 && !(done && held.length === 0); i++) {
      for (let j = 0; j < 20; j++) await new Promise((r) => setImmediate(r));
      held.shift()?.();
    }
    await idle;
    assert.ok(pods.list().every((p) => p.spec?.nodeName), 'all bound');
    // Binds and events both ran parallelBinds at a time: the formula's two shares.
    assert.equal(peak, 2 * parallelBinds);
    assert.ok(peak <= schedulerClientConnections(parallelBinds));
  } finally {
    while (held.length) held.shift()!();
    await s.stop();
    factory.stop();
  }
});
