import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConcurrencyLimit } from './concurrency-limit.ts';

test('runs at most `limit` tasks at once, the rest in order as slots free up; a failing task frees its slot', async () => {
  const limit = new ConcurrencyLimit(2);
  const started: number[] = [];
  const release = new Map<number, (fail: boolean) => void>();
  let running = 0;
  let maxRunning = 0;
  const task = (i: number) => limit.run(() => new Promise<number>((resolve, reject) => {
    started.push(i);
    running++;
    maxRunning = Math.max(maxRunning, running);
    release.set(i, (fail) => {
      running--;
      if (fail) reject(new Error(`task ${i} failed`));
      else resolve(i);
    });
  }));
  const all = [0, 1, 2, 3, 4].map(task).map((p) => p.catch((e: Error) => e.message));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [0, 1]);
  assert.equal(limit.size, 5);
  release.get(1)!(true);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [0, 1, 2]);
  for (const i of [0, 2, 3]) {
    release.get(i)!(false);
    await new Promise((r) => setImmediate(r));
  }
  release.get(4)!(false);
  assert.deepEqual(await Promise.all(all), [0, 'task 1 failed', 2, 3, 4]);
  assert.deepEqual(started, [0, 1, 2, 3, 4]);
  assert.equal(maxRunning, 2);
  assert.equal(limit.size, 0);
});

test('the limit must be a positive integer', () => {
  assert.throws(() => new ConcurrencyLimit(0), /positive integer/);
  assert.throws(() => new ConcurrencyLimit(1.5), /positive integer/);
});

test('thousands of waiters run in the order they came, across the queue compacting its front', async () => {
  const limit = new ConcurrencyLimit(3);
  const order: number[] = [];
  const n = 5000;
  // Tasks finish on a later turn, so nearly all of them wait; some arrive while others drain.
  const task = (i: number) => limit.run(async () => {
    order.push(i);
    await new Promise((r) => setImmediate(r));
  });
  const first = Array.from({ length: n }, (_, i) => task(i));
  assert.equal(limit.size, n);
  await new Promise((r) => setTimeout(r, 5));
  const more = Array.from({ length: n }, (_, i) => task(n + i));
  await Promise.all([...first, ...more]);
  assert.deepEqual(order, Array.from({ length: 2 * n }, (_, i) => i));
  assert.equal(limit.size, 0);
});

test('start() takes its turn with run(), within the limit, and a rejected task frees its slot', async () => {
  const limit = new ConcurrencyLimit(2);
  const order: string[] = [];
  let running = 0;
  let maxRunning = 0;
  const body = (name: string, fail = false) => async () => {
    order.push(name);
    maxRunning = Math.max(maxRunning, ++running);
    await new Promise((r) => setImmediate(r));
    running--;
    if (fail) throw new Error(name);
  };
  const ended: string[] = [];
  const started = (name: string, fail = false) => limit.start(async () => {
    try {
      await body(name, fail)();
    } finally {
      ended.push(name);
    }
  });
  started('s1', true);
  const r1 = limit.run(body('r1'));
  started('s2');
  const r2 = limit.run(body('r2'));
  started('s3', true);
  assert.equal(limit.size, 5);
  await Promise.all([r1, r2]);
  for (let i = 0; i < 20 && ended.length < 3; i++) await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, ['s1', 'r1', 's2', 'r2', 's3']);
  assert.deepEqual(ended.sort(), ['s1', 's2', 's3']);
  assert.equal(maxRunning, 2);
  assert.equal(limit.size, 0);
});
