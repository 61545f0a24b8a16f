import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeApiClient } from '../client/fake.ts';
import { resources } from '../client/resources.ts';
import type { K8sObject, WatchEvent } from '../client/types.ts';
import { startSimNodes } from './sim-nodes.ts';

async function until<T>(what: string, f: () => T | undefined | false): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const v = f();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const podOn = (name: string, nodeName: string, extra: Partial<K8sObject['metadata']> = {}): K8sObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', ...extra },
  spec: { nodeName, containers: [{ name: 'c', image: 'nginx:1.27' }] },
  status: { phase: 'Pending' },
});

const get = (c: FakeApiClient, name: string) => c.stored(resources.pods, 'default').find((p) => p.metadata.name === name);

test('sim nodes against the fake client: register, lease, run, complete, finish deletion', async () => {
  const client = new FakeApiClient();
  const sim = await startSimNodes({ client, count: 3, leaseRenewMs: 20, statusUpdateMs: 50, jobRunTimeMs: 0 });
  try {
    const nodes = client.stored(resources.nodes);
    assert.deepEqual(nodes.map((n) => n.metadata.name).sort(), ['sim-node-0', 'sim-node-1', 'sim-node-2']);
    for (const n of nodes) {
      assert.equal(n.metadata.labels?.['portcullis.dev/simulated'], 'true');
      assert.equal(n.metadata.annotations?.['kwok.x-k8s.io/node'], 'fake');
      assert.equal(n.status.conditions.find((c: { type: string }) => c.type === 'Ready').status, 'True');
      assert.equal(n.status.allocatable.pods, '110');
    }
    // Renewed: the renewTime moves on.
    const first = await until('leases', () => client.stored(resources.leases, 'kube-node-lease').length === 3 && client.stored(resources.leases, 'kube-node-lease'));
    await until('a renewal', () => client.stored(resources.leases, 'kube-node-lease').find((l) => l.metadata.name === 'sim-node-1')!.spec.renewTime !== first.find((l) => l.metadata.name === 'sim-node-1')!.spec.renewTime);

    client.seed(resources.pods, podOn('web', 'sim-node-1'));
    client.seed(resources.pods, podOn('elsewhere', 'real-node'));
    client.seed(resources.pods, podOn('job-1', 'sim-node-2', { ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: 'u1', controller: true }] }));
    const web = await until('web running', () => get(client, 'web')?.status.phase === 'Running' && get(client, 'web'));
    assert.match(web.status.podIP, /^10\.0\.1\.\d+$/);
    assert.equal(web.status.hostIP, '172.16.0.2');
    assert.equal(web.status.containerStatuses[0].state.running.startedAt !== undefined, true);
    assert.equal(web.status.conditions.find((c: { type: string }) => c.type === 'Ready').status, 'True');
    assert.equal(client.writes().filter((a) => a.name === 'web' && a.subresource === 'status').length, 1);
    const job = await until('job succeeded', () => get(client, 'job-1')?.status.phase === 'Succeeded' && get(client, 'job-1'));
    assert.equal(job.status.containerStatuses[0].state.terminated.exitCode, 0);

    // A pod being deleted gracefully (as the API server leaves it for the kubelet) is finished.
    client.seed(resources.pods, podOn('going', 'sim-node-0', { deletionTimestamp: new Date().toISOString(), deletionGracePeriodSeconds: 30 }));
    await until('going deleted', () => get(client, 'going') === undefined);
    const del = client.actions.find((a) => a.verb === 'delete' && a.name === 'going');
    assert.ok(del);

    assert.equal(get(client, 'elsewhere')?.status.phase, 'Pending');
    assert.equal(client.writes().some((a) => a.name === 'elsewhere'), false);
    assert.deepEqual(sim.podMetrics().map((m) => m.metadata.name), ['web']);
  } finally {
    sim.stop();
  }
});

test('an event older than the pod the simulator wrote does not run its stage again', async () => {
  const client = new FakeApiClient();
  // The watch delivers a stale copy of the pod after its Running event, as a late event would.
  const watch = client.watch.bind(client);
  client.watch = ((r, ns, opts, onEvent: (e: WatchEvent<K8sObject>) => void, onClose) =>
    watch<K8sObject>(r, ns, opts, (e) => {
      onEvent(e);
      if (r.resource === 'pods' && e.object.status?.phase === 'Running') onEvent({ type: 'MODIFIED', object: stale! });
    }, onClose)) as typeof client.watch;
  const sim = await startSimNodes({ client, count: 1 });
  let stale: K8sObject | undefined;
  try {
    stale = client.seed(resources.pods, podOn('web', 'sim-node-0'));
    await until('web running', () => get(client, 'web')?.status.phase === 'Running');
    client.seed(resources.pods, podOn('later', 'sim-node-0'));
    await until('later running', () => get(client, 'later')?.status.phase === 'Running');
    assert.equal(client.writes().filter((a) => a.name === 'web' && a.subresource === 'status').length, 1);
  } finally {
    sim.stop();
  }
});

test('a broken watch or a compacted history is survived by a relist; pods deleted meanwhile are forgotten', async () => {
  const client = new FakeApiClient();
  const sim = await startSimNodes({ client, count: 1 });
  try {
    client.seed(resources.pods, podOn('a', 'sim-node-0'));
    await until('a running', () => get(client, 'a')?.status.phase === 'Running');
    client.breakWatches();
    await client.delete(resources.pods, 'default', 'a', { gracePeriodSeconds: 0 });
    client.seed(resources.pods, podOn('b', 'sim-node-0'));
    client.compact();
    await until('b running', () => get(client, 'b')?.status.phase === 'Running');
    // a's address went back to the pool when the relist no longer saw it: b gets it.
    assert.equal(get(client, 'b')!.status.podIP, '10.0.0.2');
  } finally {
    sim.stop();
  }
});

test('sim nodes never act for a real node of the same name', async () => {
  const client = new FakeApiClient();
  client.seed(resources.nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'sim-node-0' } });
  await assert.rejects(startSimNodes({ client, count: 2 }), /node sim-node-0 exists and is not simulated/);
  assert.equal(client.writes().some((a) => a.verb === 'patch' && a.name === 'sim-node-0'), false);
});

test('sim nodes: bad settings are refused when built', async () => {
  const client = new FakeApiClient();
  await assert.rejects(startSimNodes({ client, count: 0 }), /count must be an integer/);
  await assert.rejects(startSimNodes({ client, count: 1, namePrefix: 'Bad_' }), /name prefix/);
  await assert.rejects(startSimNodes({ client, count: 1, capacity: { cpu: 'lots' } }), /capacity cpu="lots" is not a quantity/);
  assert.equal(client.actions.length, 0);
});

test('with clientFor, each node writes through its own client; the pod watch stays on the shared one', async () => {
  const client = new FakeApiClient();
  const via: Array<{ node: string; method: string; resource: string; name: string }> = [];
  // Each node's client is the shared store seen through a recorder, as a per-node credential would be.
  const clientFor = (node: string) =>
    new Proxy(client, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (typeof v !== 'function' || prop === 'close') return v;
        return (...args: unknown[]) => {
          const [r, , name] = args as [{ resource: string }, string, unknown];
          via.push({ node, method: String(prop), resource: r.resource, name: typeof name === 'string' ? name : ((name as K8sObject | undefined)?.metadata?.name ?? '') });
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  const sim = await startSimNodes({ client, clientFor, count: 2, leaseRenewMs: 20, jobRunTimeMs: 0 });
  try {
    client.seed(resources.pods, podOn('web', 'sim-node-1'));
    await until('web running', () => get(client, 'web')?.status.phase === 'Running');
    await until('both leases', () => client.stored(resources.leases, 'kube-node-lease').length === 2);
    // Every call a node made names that node's own objects, or its own pod.
    for (const c of via) {
      if (c.resource === 'pods') assert.deepEqual([c.node, c.name], ['sim-node-1', 'web']);
      else assert.equal(c.name, c.node, `${c.method} ${c.resource} ${c.name} through ${c.node}'s client`);
    }
    for (const n of ['sim-node-0', 'sim-node-1']) {
      assert.ok(via.some((c) => c.node === n && c.resource === 'nodes' && c.method === 'create'), `${n} registered itself`);
      assert.ok(via.some((c) => c.node === n && c.resource === 'leases'), `${n} renewed its own lease`);
    }
    assert.ok(via.some((c) => c.node === 'sim-node-1' && c.resource === 'pods' && c.method === 'patch'));
    assert.equal(via.some((c) => c.method === 'watch' || c.method === 'list'), false, 'the pod list+watch is the simulator-wide one');
  } finally {
    sim.stop();
  }
});

test('pod writes that do not answer never hold up the Leases: heartbeats have a pool of their own', async () => {
  // Every pods/status write hangs (a server slow on pods); with one pool for everything its
  // slots would fill with them and no node would renew its Lease any more.
  let stuck = 0;
  class SlowPods extends FakeApiClient {
    override async patch<T extends K8sObject>(...args: Parameters<FakeApiClient['patch']>): Promise<T> {
      if (args[0].resource !== 'pods') return super.patch<T>(...args);
      stuck++;
      return new Promise<T>(() => {});
    }
  }
  const client = new SlowPods();
  for (let i = 0; i < 6; i++) client.seed(resources.pods, podOn(`p${i}`, `sim-node-${i % 2}`));
  const sim = await startSimNodes({ client, count: 2, leaseRenewMs: 20, leaseDurationSeconds: 40, maxInFlight: 2, heartbeatMaxInFlight: 1, jobRunTimeMs: 0 });
  try {
    await until('pod writes stuck', () => stuck >= 2);
    const before = sim.heartbeats().leaseRenewals;
    await until('renewals go on', () => sim.heartbeats().leaseRenewals >= before + 4);
    const h = sim.heartbeats();
    assert.equal(h.lateRenewals, 0);
    assert.ok(h.maxLeaseGapMs < 40_000);
  } finally {
    sim.stop();
  }
});
