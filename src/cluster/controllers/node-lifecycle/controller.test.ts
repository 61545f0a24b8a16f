/** The node lifecycle and taint eviction controllers on the fake client and a fake clock. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeApiClient, fakeInformerFactory } from '../../client/fake.ts';
import { FakeClock, settle } from '../../client/fake-clock.ts';
import { resources } from '../../client/resources.ts';
import type { K8sObject } from '../../client/types.ts';
import { RateLimitedQueue } from '../../client/work-queue.ts';
import { PODS } from '../resources.ts';
import { newNodeLifecycleController, NODE_LEASE_NAMESPACE, type NodeLifecycleOptions } from './controller.ts';
import { newTaintEvictionController } from './taint-eviction.ts';

const NODES = resources.nodes;
const LEASES = resources.leases;
const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
const micro = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z');

async function start(opts: NodeLifecycleOptions = {}) {
  const clock = new FakeClock(T0);
  const client = new FakeApiClient({ now: clock.date });
  const informers = fakeInformerFactory(client, { timers: clock });
  const base = { client, informers, log: { error() {} }, now: clock.now, random: Math.random, timers: clock };
  const lifecycle = newNodeLifecycleController({ ...base, ...opts, queue: new RateLimitedQueue({ timers: clock, now: clock.now }) });
  const eviction = newTaintEvictionController(base);
  const idle = () => settle(60);
  return {
    clock,
    client,
    idle,
    run: async () => {
      informers.start();
      lifecycle.run(1);
      eviction.run(1);
      await idle();
    },
    async advance(ms: number) {
      await clock.advance(ms);
      await idle();
    },
    node: (name = 'n1') => client.stored<K8sObject>(NODES).find((n) => n.metadata.name === name),
    pod: (name: string) => client.stored<K8sObject>(PODS, 'default').find((p) => p.metadata.name === name),
    async stop() {
      await lifecycle.stop();
      await eviction.stop();
      informers.stop();
    },
  };
}

function readyNode(name: string, at: number): K8sObject {
  return {
    metadata: { name },
    spec: {},
    status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: iso(at), lastTransitionTime: iso(at) }] },
  };
}

const lease = (name: string, at: number): K8sObject => ({ metadata: { name, namespace: NODE_LEASE_NAMESPACE }, spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: micro(at) } });

function pod(name: string, tolerations: unknown[] = []): K8sObject {
  return {
    metadata: { name, namespace: 'default' },
    spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'i' }], tolerations },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: iso(T0) }] },
  };
}

const renew = (client: FakeApiClient, name: string, at: number) => client.patch(LEASES, NODE_LEASE_NAMESPACE, name, 'merge', { spec: { renewTime: micro(at) } });
const taintKeys = (n: K8sObject | undefined): string[] => (n?.spec?.taints ?? []).map((t: { key: string; effect: string }) => `${t.key}:${t.effect}`).sort();
const ready = (o: K8sObject | undefined) => o?.status?.conditions?.find((c: { type: string }) => c.type === 'Ready');

test('a node whose Lease stops renewing gets Ready=Unknown and the unreachable taints; untolerating pods go at once, tolerationSeconds 300 after 300 s; recovery removes the taints', async () => {
  const h = await start();
  try {
    h.client.seed(NODES, readyNode('n1', T0));
    h.client.seed(LEASES, lease('n1', T0));
    h.client.seed(PODS, pod('plain'));
    h.client.seed(PODS, pod('tolerant', [
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ]));
    h.client.seed(PODS, pod('forever', [{ operator: 'Exists' }]));
    await h.run();
    // The Lease alone keeps the node alive: renewed at 30 s, the status heartbeat never again.
    await h.advance(30_000);
    await renew(h.client, 'n1', T0 + 30_000);
    await h.advance(35_000);
    assert.equal(ready(h.node())?.status, 'True', 'a renewed Lease is a heartbeat');
    assert.deepEqual(taintKeys(h.node()), []);
    // Observed at 35 s; 40 s of silence after that ends it.
    await h.advance(15_000);
    const r = ready(h.node());
    assert.equal(r.status, 'Unknown');
    assert.equal(r.reason, 'NodeStatusUnknown');
    assert.equal(r.message, 'Kubelet stopped posting node status.');
    assert.deepEqual(taintKeys(h.node()), ['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
    assert.ok(h.node()!.spec.taints.every((t: { timeAdded?: string }) => t.timeAdded), 'taints carry timeAdded');
    assert.equal(h.pod('plain'), undefined, 'a pod without a toleration is deleted at once');
    const evicted = h.client.writes().find((a) => a.verb === 'patch' && a.name === 'plain' && a.subresource === 'status');
    assert.match(JSON.stringify(evicted?.object), /DeletionByTaintManager/);
    assert.equal(ready(h.pod('tolerant'))?.status, 'False', 'MarkPodsNotReady');
    assert.ok(h.pod('tolerant'));
    await h.advance(290_000);
    assert.ok(h.pod('tolerant'), 'tolerated for 300 s');
    await h.advance(15_000);
    assert.equal(h.pod('tolerant'), undefined, 'deleted once tolerationSeconds have passed');
    assert.ok(h.pod('forever'), 'a toleration without tolerationSeconds tolerates forever');

    // The kubelet comes back: Lease renewed and Ready posted.
    const n = h.node()!;
    const t = h.clock.now();
    await h.client.update(NODES, '', { ...n, status: { conditions: [{ ...ready(readyNode('n1', t)) }] } }, 'status');
    await renew(h.client, 'n1', t);
    await h.advance(5_000);
    assert.equal(ready(h.node())?.status, 'True');
    assert.deepEqual(taintKeys(h.node()), [], 'recovery removes the taints');
  } finally {
    await h.stop();
  }
});

test('a node posting Ready=False gets the not-ready taints; the NoExecute one is rate-limited per zone', async () => {
  const h = await start({ nodeEvictionRate: 0.1 });
  try {
    for (const name of ['a', 'b']) {
      const n = readyNode(name, T0);
      n.metadata.labels = { 'topology.kubernetes.io/zone': 'z1' };
      n.status.conditions[0].status = 'False';
      h.client.seed(NODES, n);
      h.client.seed(LEASES, lease(name, T0));
    }
    await h.run();
    const noExecute = () => ['a', 'b'].filter((x) => taintKeys(h.node(x)).includes('node.kubernetes.io/not-ready:NoExecute'));
    assert.deepEqual(taintKeys(h.node('a')).filter((k: string) => k.endsWith('NoSchedule')), ['node.kubernetes.io/not-ready:NoSchedule']);
    assert.deepEqual(taintKeys(h.node('b')).filter((k: string) => k.endsWith('NoSchedule')), ['node.kubernetes.io/not-ready:NoSchedule']);
    assert.equal(noExecute().length, 1, 'one node of the zone at first (burst 1)');
    await h.advance(5_000);
    assert.equal(noExecute().length, 1, 'the zone has no token yet');
    await h.advance(6_000);
    assert.equal(noExecute().length, 2, 'the next one 10 s later (0.1 per second)');
  } finally {
    await h.stop();
  }
});

test('a node that never posted status is judged after the startup grace period', async () => {
  const h = await start();
  try {
    h.client.seed(NODES, { metadata: { name: 'n1' }, spec: {} });
    await h.run();
    await h.advance(55_000);
    assert.equal(ready(h.node()), undefined);
    await h.advance(10_000);
    const r = ready(h.node());
    assert.equal(r.status, 'Unknown');
    assert.equal(r.reason, 'NodeStatusNeverUpdated');
    assert.equal(r.message, 'Kubelet never posted node status.');
  } finally {
    await h.stop();
  }
});
