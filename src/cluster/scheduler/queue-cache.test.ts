import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SchedulerCache } from './cache.ts';
import { backoffDuration, SchedulingQueue, POD_MAX_IN_UNSCHEDULABLE_MS } from './queue.ts';
import { makeNode, makePod } from './testing.ts';

test('queue: priority first, then arrival; pop waits for an add', async () => {
  let t = 0;
  const q = new SchedulingQueue(() => t);
  q.add(makePod('low1', { priority: 0 }));
  t = 1;
  q.add(makePod('high', { priority: 100 }));
  t = 2;
  q.add(makePod('low2'));
  const order = [];
  for (let i = 0; i < 3; i++) order.push((await q.pop())!.pod.metadata.name);
  assert.deepEqual(order, ['high', 'low1', 'low2']);
  const waiting = q.pop();
  q.add(makePod('late'));
  assert.equal((await waiting)!.pod.metadata.name, 'late');
  q.close();
  assert.equal(await q.pop(), undefined);
});

test('queue: backoff 1 s doubling to 10 s; unschedulable pods move on cluster events or after 5 minutes', async () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => backoffDuration(n)), [1000, 2000, 4000, 8000, 10000, 10000]);
  let t = 0;
  const q = new SchedulingQueue(() => t);
  q.add(makePod('p'));
  let item = (await q.pop())!;
  q.addUnschedulable(item);
  assert.deepEqual(q.stats(), { active: 0, backoff: 0, unschedulable: 1, inFlight: 0 });
  // An event before the backoff is over puts it in backoff, released once 1 s has passed.
  t = 500;
  q.moveAllToActiveOrBackoff();
  assert.equal(q.stats().backoff, 1);
  t = 999;
  q.flushBackoff();
  assert.equal(q.stats().backoff, 1);
  t = 1000;
  q.flushBackoff();
  assert.equal(q.stats().active, 1);
  item = (await q.pop())!;
  assert.equal(item.attempts, 2);
  q.addUnschedulable(item);
  t += POD_MAX_IN_UNSCHEDULABLE_MS - 1;
  q.flushUnschedulableLeftover();
  assert.equal(q.stats().unschedulable, 1);
  t += 1;
  q.flushUnschedulableLeftover();
  assert.equal(q.stats().active, 1);
});

test('queue: an event during a cycle sends the failed pod to backoff, not to unschedulable; deleted pods leave', async () => {
  const t = 0;
  const q = new SchedulingQueue(() => t);
  q.add(makePod('p'));
  const item = (await q.pop())!;
  q.moveAllToActiveOrBackoff();
  q.addUnschedulable(item);
  assert.deepEqual(q.stats(), { active: 0, backoff: 1, unschedulable: 0, inFlight: 0 });
  q.delete(makePod('p'));
  assert.equal(q.length, 0);
  q.add(makePod('x'));
  q.add(makePod('x'));
  assert.equal(q.length, 1);
  // Only events while its own cycle ran count: one before it was popped does not, and a second
  // pod popped after the event fails into unschedulable while the first, in flight across it, backs off.
  const x = (await q.pop())!;
  q.moveAllToActiveOrBackoff();
  q.add(makePod('y'));
  const y = (await q.pop())!;
  q.addUnschedulable(y);
  q.addUnschedulable(x);
  assert.deepEqual(q.stats(), { active: 0, backoff: 1, unschedulable: 1, inFlight: 0 });
});

test('cache: by default an assumed pod whose bind finished never expires (upstream durationToExpireAssumedPod = 0); it waits for the informer', () => {
  const c = new SchedulerCache();
  c.addNode(makeNode('n1', { cpu: '4' }));
  const p = makePod('p', { cpu: '2' });
  c.assume(p, 'n1');
  c.finishBinding(p, 0);
  assert.deepEqual(c.cleanupExpired(24 * 3600_000), []);
  assert.equal(c.assumedCount, 1);
  assert.equal(c.nodeInfo('n1')!.requested.milliCPU, 2000);
  c.setPod({ ...p, spec: { ...p.spec, nodeName: 'n1' } });
  assert.equal(c.assumedCount, 0);
  assert.equal(c.nodeInfo('n1')!.requested.milliCPU, 2000);
});

test('cache: bound pods count on their node, assumed pods until confirmed, forgotten on failure, expired after the ttl', () => {
  const c = new SchedulerCache({ ttlMs: 30_000 });
  c.addNode(makeNode('n1', { cpu: '4' }));
  c.setPod(makePod('bound', { cpu: '1', node: 'n1' }));
  c.setPod(makePod('pending', { cpu: '1' }));
  c.setPod({ ...makePod('done', { cpu: '1', node: 'n1' }), status: { phase: 'Succeeded' } });
  assert.equal(c.nodeInfo('n1')!.requested.milliCPU, 1000);
  const p = makePod('new', { cpu: '2' });
  c.assume(p, 'n1');
  assert.equal(c.nodeInfo('n1')!.requested.milliCPU, 3000);
  assert.throws(() => c.assume(p, 'n1'));
  c.forget(p);
  assert.equal(c.nodeInfo('n1')!.requested.milliCPU, 1000);
  c.assume(p, 'n1');
  c.finishBinding(p, 0);
  assert.deepEqual(c.cleanupExpired(29_999), []);
  // Confirmed by the informer: no longer assumed, still counted once.
  c.setPod({ ...p, spec: { ...p.spec, nodeName: 'n1' } });
  assert.equal(c.assumedCount, 0);
  assert.equal(c.nodeInfo('n1')!.requested.milliCPU, 3000);
  const q = makePod('q', { cpu: '1' });
  c.assume(q, 'n1');
  c.finishBinding(q, 0);
  assert.equal(c.cleanupExpired(30_000).length, 1);
  assert.equal(c.nodeInfo('n1')!.requested.milliCPU, 3000);
  // A node that goes and comes back keeps its pods.
  c.removeNode(makeNode('n1'));
  assert.equal(c.nodeInfos().length, 0);
  c.addNode(makeNode('n1', { cpu: '4' }));
  assert.equal(c.nodeInfo('n1')!.podCount, 2);
  c.removePod(makePod('bound'));
  assert.equal(c.nodeInfo('n1')!.requested.milliCPU, 2000);
});

test('queue: podInitialBackoffSeconds/podMaxBackoffSeconds from the configuration set the backoff', async () => {
  const b = { initialMs: 3_000, maxMs: 5_000 };
  assert.deepEqual([1, 2, 3].map((n) => backoffDuration(n, b)), [3000, 5000, 5000]);
  let t = 0;
  const q = new SchedulingQueue(() => t, b);
  q.add(makePod('p'));
  const item = (await q.pop())!;
  q.addUnschedulable(item);
  t = 1_000;
  q.moveAllToActiveOrBackoff();
  t = 2_999;
  q.flushBackoff();
  assert.equal(q.stats().backoff, 1, 'still backing off past the default 1 s');
  t = 3_000;
  q.flushBackoff();
  assert.equal(q.stats().active, 1);
});
