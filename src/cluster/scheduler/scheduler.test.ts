import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeApiClient, fakeInformerFactory } from '../client/fake.ts';
import { resources } from '../client/resources.ts';
import type { K8sObject } from '../client/types.ts';
import { defaultProfile } from './profile.ts';
import { startScheduler } from './scheduler.ts';
import { makeNode, makePod } from './testing.ts';

const silent = { info() {}, warn() {} };

/** Lets informer deliveries and binds run; bounded, no clock involved. */
async function settle(cond: () => boolean, rounds = 2000): Promise<void> {
  for (let i = 0; i < rounds && !cond(); i++) await new Promise((r) => setImmediate(r));
}

function setup(profiles = [defaultProfile()], clock = { t: 1_700_000_000_000 }) {
  const client = new FakeApiClient();
  const factory = fakeInformerFactory(client);
  const nodes = factory.informer(resources.nodes);
  const pods = factory.informer(resources.pods);
  return {
    client,
    get: (name: string) => pods.get('default', name) as K8sObject | undefined,
    start() {
      factory.start();
      return startScheduler({ client, informers: { nodes, pods } as never, profiles, random: () => 0, now: () => clock.t, log: silent });
    },
    stop() {
      factory.stop();
    },
  };
}

test('scheduler binds pending pods of its profile through pods/binding and leaves other schedulerNames alone', async () => {
  const env = setup();
  env.client.seed(resources.nodes, makeNode('n1', { cpu: '2' }));
  env.client.seed(resources.nodes, makeNode('n2', { cpu: '2', taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }));
  env.client.seed(resources.pods, makePod('a', { cpu: '500m' }));
  env.client.seed(resources.pods, makePod('b', { cpu: '500m' }));
  env.client.seed(resources.pods, makePod('mine-not', { spec: { schedulerName: 'other-scheduler' } }));
  const s = env.start();
  try {
    await settle(() => !!env.get('a')?.spec?.nodeName && !!env.get('b')?.spec?.nodeName);
    assert.equal(env.get('a')?.spec?.nodeName, 'n1');
    assert.equal(env.get('b')?.spec?.nodeName, 'n1');
    const binding = env.client.actions.find((a) => a.subresource === 'binding' && a.name === 'a');
    assert.deepEqual(binding?.object, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'a', namespace: 'default', uid: env.get('a')?.metadata.uid }, target: { apiVersion: 'v1', kind: 'Node', name: 'n1' } });
    await settle(() => s.cache.assumedCount === 0);
    assert.equal(s.cache.nodeInfo('n1')?.requested.milliCPU, 1000);
    assert.equal(env.client.actions.some((a) => a.name === 'mine-not' && a.verb !== 'list' && a.verb !== 'watch'), false);
    assert.equal(env.get('mine-not')?.spec?.nodeName, undefined);
  } finally {
    await s.stop();
    env.stop();
  }
});

test('a pod that fits nowhere gets the FailedScheduling event and PodScheduled=False, then fits after a node is added', async () => {
  const env = setup();
  env.client.seed(resources.nodes, makeNode('small', { cpu: '1' }));
  env.client.seed(resources.pods, makePod('big', { cpu: '2' }));
  const s = env.start();
  try {
    await settle(() => env.client.actions.some((a) => a.verb === 'patch' && a.name === 'big'));
    const ev = env.client.actions.find((a) => a.verb === 'create' && a.resource.resource === 'events')?.object as K8sObject;
    const message = '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.';
    assert.equal(ev.reason, 'FailedScheduling');
    assert.equal(ev.type, 'Warning');
    // events.k8s.io/v1, as kube-scheduler's tools/events recorder writes it.
    assert.equal(ev.apiVersion, 'events.k8s.io/v1');
    assert.equal(env.client.actions.find((a) => a.object === ev)?.resource.group, 'events.k8s.io');
    assert.equal(ev.note, message);
    assert.equal(ev.action, 'Scheduling');
    assert.equal(ev.reportingController, 'default-scheduler');
    assert.match(ev.reportingInstance, /^default-scheduler-./);
    assert.match(ev.eventTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.equal(ev.series, undefined);
    assert.match(ev.metadata.name ?? '', /^big\.[0-9a-f]+$/);
    assert.deepEqual(ev.regarding, { apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: 'big', uid: env.get('big')?.metadata.uid, resourceVersion: ev.regarding.resourceVersion });
    await settle(() => env.get('big')?.status?.conditions?.length > 0);
    const cond = env.get('big')?.status?.conditions?.find((c: { type: string }) => c.type === 'PodScheduled');
    assert.deepEqual({ ...cond, lastTransitionTime: undefined }, { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastProbeTime: null, lastTransitionTime: undefined });
    assert.deepEqual(s.queue.stats(), { active: 0, backoff: 0, unschedulable: 1, inFlight: 0 });
    // A node add is a cluster event: the pod is retried (after its backoff) and lands there.
    await env.client.create(resources.nodes, '', makeNode('large', { cpu: '4' }));
    await settle(() => s.queue.stats().unschedulable === 0);
    assert.equal(s.queue.stats().backoff + s.queue.stats().active + s.queue.stats().inFlight, 1);
  } finally {
    await s.stop();
    env.stop();
  }
});

test('two profiles: each scheduler name binds its own pods; a failed bind is forgotten and retried', async () => {
  const env = setup([defaultProfile(), defaultProfile('second-scheduler')]);
  env.client.seed(resources.nodes, makeNode('n1'));
  env.client.seed(resources.pods, makePod('one'));
  env.client.seed(resources.pods, makePod('two', { spec: { schedulerName: 'second-scheduler' } }));
  env.client.failNext('create', 'pods', new Error('connection reset'));
  const s = env.start();
  try {
    await settle(() => !!env.get('two')?.spec?.nodeName || !!env.get('one')?.spec?.nodeName);
    await settle(() => s.cache.assumedCount === 0 && s.queue.stats().inFlight === 0);
    // Exactly one of the two binds hit the injected failure; it is back in backoff, not assumed.
    const bound = ['one', 'two'].filter((n) => env.get(n)?.spec?.nodeName === 'n1');
    assert.equal(bound.length, 1);
    assert.equal(s.queue.stats().backoff, 1);
    const failed = env.client.actions.find((a) => a.resource.resource === 'events')?.object as K8sObject;
    assert.equal(failed.reason, 'FailedScheduling');
    assert.equal(failed.note, 'Binding rejected: connection reset');
    assert.equal(s.cache.nodeInfo('n1')?.podCount, 1);
  } finally {
    await s.stop();
    env.stop();
  }
});

test('an unchanged PodScheduled condition is not written again on the next failed attempt', async () => {
  const clock = { t: 1_700_000_000_000 };
  const env = setup([defaultProfile()], clock);
  env.client.seed(resources.nodes, makeNode('small', { cpu: '1' }));
  env.client.seed(resources.pods, makePod('big', { cpu: '2' }));
  const s = env.start();
  const events = () => env.client.actions.filter((a) => a.verb === 'create' && a.resource.resource === 'events').length;
  try {
    await settle(() => env.get('big')?.status?.conditions?.length > 0 && s.queue.stats().unschedulable === 1);
    // A node update that does not help: the pod is tried again after its backoff and fails the same way.
    await env.client.patch(resources.nodes, '', 'small', 'merge', { metadata: { labels: { touched: 'yes' } } });
    await settle(() => s.queue.stats().backoff === 1);
    clock.t += 1_000;
    s.queue.flushBackoff();
    await settle(() => events() === 2 && s.queue.stats().unschedulable === 1);
    assert.equal(events(), 2);
    assert.equal(env.client.actions.filter((a) => a.verb === 'patch' && a.name === 'big').length, 1);
  } finally {
    await s.stop();
    env.stop();
  }
});

/** A scheduler over `count` pending pods whose pods/binding calls wait until the test releases them. */
function withHeldBinds(count: number, parallelBinds: number) {
  const client = new FakeApiClient();
  const factory = fakeInformerFactory(client);
  const nodes = factory.informer(resources.nodes);
  const pods = factory.informer(resources.pods);
  client.seed(resources.nodes, makeNode('n1', { cpu: '8' }));
  for (let i = 0; i < count; i++) client.seed(resources.pods, makePod(`p${i}`, { cpu: '100m' }));
  const post = client.postSubresource.bind(client);
  const held: Array<() => void> = [];
  const sent: string[] = [];
  const binding = { inFlight: 0, maxInFlight: 0 };
  client.postSubresource = (async (r, ns, name, sub, body) => {
    sent.push(name);
    binding.inFlight++;
    binding.maxInFlight = Math.max(binding.maxInFlight, binding.inFlight);
    await new Promise<void>((resolve) => held.push(resolve));
    binding.inFlight--;
    return post(r, ns, name, sub, body);
  }) as typeof client.postSubresource;
  factory.start();
  const s = startScheduler({ client, informers: { nodes, pods } as never, random: () => 0, now: () => 1_700_000_000_000, log: silent, parallelBinds });
  return { client, factory, pods, s, held, sent, binding };
}

test('binds run beside the scheduling loop, at most parallelBinds at a time, and Scheduled events are written for each', async () => {
  const { client, factory, pods, s, held, binding } = withHeldBinds(6, 2);
  try {
    // Every pod is decided (assumed) while the first binds are still held.
    await settle(() => s.cache.assumedCount === 6 && held.length === 2);
    assert.equal(s.cache.assumedCount, 6);
    assert.equal(held.length, 2);
    while (held.length > 0 || binding.inFlight > 0 || [0, 1, 2, 3, 4, 5].some((i) => !pods.get('default', `p${i}`)?.spec?.nodeName)) {
      held.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    await s.idle();
    assert.equal(binding.maxInFlight, 2);
    const scheduled = client.actions.filter((a) => a.verb === 'create' && a.resource.resource === 'events' && (a.object as K8sObject | undefined)?.reason === 'Scheduled');
    assert.equal(scheduled.length, 6);
  } finally {
    await s.stop();
    factory.stop();
  }
});

test('a stopped scheduler gives up the binds still waiting for a slot instead of sending them', async () => {
  const { client, factory, pods, s, held, sent } = withHeldBinds(5, 1);
  try {
    await settle(() => s.cache.assumedCount === 5 && held.length === 1);
    const stopping = s.stop();
    held.shift()!();
    await stopping;
    assert.equal(sent.length, 1, 'only the bind already in flight was sent');
    const others = [0, 1, 2, 3, 4].map((i) => `p${i}`).filter((n) => n !== sent[0]);
    assert.deepEqual(others.filter((n) => s.cache.isAssumed(`default/${n}`)), [], 'the other four are forgotten');
    assert.deepEqual(others.filter((n) => pods.get('default', n)?.spec?.nodeName), [], 'and left pending');
    assert.equal(client.actions.filter((a) => a.verb === 'create' && a.resource.resource === 'events').length, 1, 'no FailedScheduling for the given-up binds');
  } finally {
    factory.stop();
  }
});

test('bind answers that arrive as I/O are taken while pods keep queueing: the loop gives the event loop a turn per cycle', async () => {
  // A real API answers on a later turn of the event loop, never in the same microtask run; the
  // scheduling loop must not starve those answers while its active queue is never empty.
  class IoClient extends FakeApiClient {
    override async postSubresource<T extends K8sObject>(r: Parameters<FakeApiClient['postSubresource']>[0], namespace: string, name: string, subresource: string, body: K8sObject): Promise<T> {
      await new Promise((res) => setImmediate(res));
      return super.postSubresource<T>(r, namespace, name, subresource, body);
    }
  }
  const client = new IoClient();
  const factory = fakeInformerFactory(client);
  const nodes = factory.informer(resources.nodes);
  const pods = factory.informer(resources.pods);
  for (let i = 0; i < 4; i++) client.seed(resources.nodes, makeNode(`n${i}`, { cpu: '64', pods: '200' }));
  const total = 200;
  for (let i = 0; i < total; i++) client.seed(resources.pods, makePod(`p${i}`, { cpu: '100m' }));
  factory.start();
  const s = startScheduler({ client, informers: { nodes, pods } as never, random: () => 0, now: () => 1_700_000_000_000, log: silent });
  try {
    // The pods still undecided (neither assumed nor bound) when the first bind's answer was taken.
    let undecidedAtFirstBind = -1;
    await settle(() => {
      const bound = client.actions.filter((a) => a.subresource === 'binding').length;
      if (bound > 0 && undecidedAtFirstBind < 0) undecidedAtFirstBind = s.queue.stats().active;
      return bound === total;
    }, 20_000);
    assert.equal(client.actions.filter((a) => a.subresource === 'binding').length, total, 'every pod bound');
    // Without the turn, the first answer is taken only once all 200 are decided (active 0).
    assert.ok(undecidedAtFirstBind > total / 2, `binds answered while most pods still waited (active queue then: ${undecidedAtFirstBind})`);
  } finally {
    await s.stop();
    factory.stop();
  }
});

test('an assigned pod resized down in place (its reported resources lowered) lets an unschedulable pod be retried', async () => {
  const env = setup();
  env.client.seed(resources.nodes, makeNode('n1', { cpu: '2' }));
  // Resized down to 1 cpu, the node still runs it at 1500m.
  const running = makePod('running', { cpu: '1', node: 'n1' });
  running.status = { phase: 'Running', containerStatuses: [{ name: 'c', resources: { requests: { cpu: '1500m' } } }] };
  env.client.seed(resources.pods, running);
  env.client.seed(resources.pods, makePod('waiting', { cpu: '1' }));
  const s = env.start();
  try {
    await settle(() => s.queue.stats().unschedulable === 1);
    assert.equal(s.cache.nodeInfo('n1')?.requested.milliCPU, 1500);
    // The node applied the resize.
    await env.client.patch(resources.pods, 'default', 'running', 'merge', { status: { containerStatuses: [{ name: 'c', resources: { requests: { cpu: '1' } } }] } }, 'status');
    await settle(() => s.queue.stats().unschedulable === 0);
    assert.equal(s.queue.stats().unschedulable, 0);
    assert.equal(s.cache.nodeInfo('n1')?.requested.milliCPU, 1000);
  } finally {
    await s.stop();
    env.stop();
  }
});
