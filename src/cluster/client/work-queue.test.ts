import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './fake-clock.ts';
import { BucketRateLimiter, ExponentialFailureRateLimiter, RateLimitedQueue, defaultControllerRateLimiter } from './work-queue.ts';

test('a waiting key is held once; a key being processed is not handed out again, and is requeued after done', async () => {
  const q = new RateLimitedQueue();
  q.add('a');
  q.add('b');
  q.add('a');
  assert.equal(q.length, 2);
  const k1 = await q.get();
  assert.equal(k1, 'a');
  q.add('a'); // added while processing
  assert.equal(q.length, 1, 'not queued while a worker holds it');
  assert.equal(await q.get(), 'b');
  let third: string | undefined = 'none';
  void q.get().then((k) => (third = k));
  await new Promise((r) => setImmediate(r));
  assert.equal(third, 'none', 'no second worker gets "a" while it is processed');
  q.done('a');
  await new Promise((r) => setImmediate(r));
  assert.equal(third, 'a', 'requeued once done');
  q.done('b');
  q.done('a');
  assert.equal(q.length, 0);
  q.shutDown();
  assert.equal(await q.get(), undefined);
});

test('addAfter waits on the injected clock and keeps the earlier time; shutDown releases waiting getters', async () => {
  const clock = new FakeClock();
  const q = new RateLimitedQueue({ timers: clock, now: clock.now });
  q.addAfter('k', 100);
  q.addAfter('k', 50);
  q.addAfter('k', 500);
  await clock.advance(49);
  assert.equal(q.length, 0);
  await clock.advance(1);
  assert.equal(q.length, 1);
  assert.equal(await q.get(), 'k');
  const pending = q.get();
  q.shutDown();
  assert.equal(await pending, undefined);
});

test('per-key exponential backoff 5 ms·2^n capped at 1000 s; forget resets it', () => {
  const l = new ExponentialFailureRateLimiter();
  assert.deepEqual([0, 1, 2, 3].map(() => l.when('x')), [5, 10, 20, 40]);
  assert.equal(l.when('y'), 5);
  assert.equal(l.numRequeues('x'), 4);
  for (let i = 0; i < 40; i++) l.when('x');
  assert.equal(l.when('x'), 1000_000);
  l.forget('x');
  assert.equal(l.when('x'), 5);
});

test('token bucket: burst of 100, then 10 per second', () => {
  let now = 0;
  const b = new BucketRateLimiter(10, 100, () => now);
  for (let i = 0; i < 100; i++) assert.equal(b.when(), 0);
  assert.equal(b.when(), 100);
  assert.equal(b.when(), 200);
  now = 1000;
  assert.equal(b.when(), 0, 'ten tokens refilled pay the two owed, and one is left for this call');
  for (let i = 0; i < 7; i++) b.when();
  assert.equal(b.when(), 100);
});

test('addRateLimited uses the larger of both limiters', async () => {
  const clock = new FakeClock();
  const q = new RateLimitedQueue({ timers: clock, now: clock.now, rateLimiter: defaultControllerRateLimiter(clock.now) });
  q.addRateLimited('a');
  await clock.advance(4);
  assert.equal(q.length, 0);
  await clock.advance(1);
  assert.equal(q.length, 1);
  assert.equal(q.numRequeues('a'), 1);
  q.forget('a');
  assert.equal(q.numRequeues('a'), 0);
});
