import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultStartConcurrency, StartGate } from './start-gate.ts';
import type { Timers } from '../client/timers.ts';

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test('no more than the limit run at once; waiters go by priority, then arrival', async () => {
  const gate = new StartGate(2);
  const order: string[] = [];
  const holds = new Map<string, ReturnType<typeof deferred>>();
  const job = (name: string, priority: number) => {
    const d = deferred();
    holds.set(name, d);
    return gate.run(priority, async () => {
      order.push(name);
      await d.promise;
      return name;
    });
  };
  const a = job('a', 5);
  const b = job('b', 6);
  const c = job('c', 9);
  const d = job('d', 1);
  const e = job('e', 9);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, ['a', 'b']);
  assert.equal(gate.running, 2);
  assert.equal(gate.waiting, 3);
  holds.get('b')!.resolve();
  assert.equal(await b, 'b');
  await new Promise((r) => setImmediate(r));
  // d (priority 1) passes c and e, which came first.
  assert.deepEqual(order, ['a', 'b', 'd']);
  holds.get('a')!.resolve();
  holds.get('d')!.resolve();
  await Promise.all([a, d]);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, ['a', 'b', 'd', 'c', 'e']);
  holds.get('c')!.resolve();
  holds.get('e')!.resolve();
  await Promise.all([c, e]);
  assert.equal(gate.running, 0);
  assert.equal(gate.waiting, 0);
});

test('a failing call frees its slot and the error reaches the caller', async () => {
  const gate = new StartGate(1);
  await assert.rejects(gate.run(0, async () => {
    throw new Error('runc failed');
  }), /runc failed/);
  assert.equal(await gate.run(0, async () => 7), 7);
  assert.equal(gate.running, 0);
});

test('the limit must be a positive integer', () => {
  assert.throws(() => new StartGate(0), /positive integer/);
  assert.throws(() => new StartGate(1.5), /positive integer/);
});

/** Timers fired by hand: `fire()` runs every pending one. */
function manualTimers(): Timers & { fire(): void; pending(): number } {
  const due = new Map<number, () => void>();
  let next = 0;
  return {
    setTimeout(fn) {
      due.set(next, fn);
      return next++;
    },
    clearTimeout(h) {
      due.delete(h as number);
    },
    fire() {
      const fns = [...due.values()];
      due.clear();
      for (const f of fns) f();
    },
    pending: () => due.size,
  };
}

test('a call holding its slot past holdMs stops counting: the pods behind it go ahead', async () => {
  const timers = manualTimers();
  const gate = new StartGate(1, { holdMs: 10_000, timers });
  const hung = deferred();
  const order: string[] = [];
  const first = gate.run(0, async () => {
    order.push('hung');
    await hung.promise;
    return 'late';
  });
  const second = gate.run(1, async () => {
    order.push('next');
    return 'next';
  });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, ['hung']);
  assert.equal(gate.waiting, 1);
  timers.fire();
  assert.equal(await second, 'next');
  assert.deepEqual(order, ['hung', 'next']);
  assert.equal(gate.overdue, 1);
  assert.equal(gate.running, 0);
  // The hung call ending late gives back nothing it no longer holds.
  hung.resolve();
  assert.equal(await first, 'late');
  assert.equal(gate.overdue, 0);
  assert.equal(gate.running, 0);
  assert.equal(timers.pending(), 0);
  // The gate still admits exactly one at a time afterwards.
  const a = deferred();
  const runs: string[] = [];
  const x = gate.run(0, async () => {
    runs.push('x');
    await a.promise;
  });
  const y = gate.run(0, async () => {
    runs.push('y');
  });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(runs, ['x']);
  a.resolve();
  await Promise.all([x, y]);
  assert.deepEqual(runs, ['x', 'y']);
});

test('a call that ends in time clears its timer', async () => {
  const timers = manualTimers();
  const gate = new StartGate(2, { timers });
  assert.equal(gate.holdMs, 10_000);
  await gate.run(0, async () => assert.equal(timers.pending(), 1));
  assert.equal(timers.pending(), 0);
  assert.equal(gate.running, 0);
});

test('the default limit is twice the CPUs, at least 8', () => {
  assert.equal(defaultStartConcurrency(1), 8);
  assert.equal(defaultStartConcurrency(2), 8);
  assert.equal(defaultStartConcurrency(4), 8);
  assert.equal(defaultStartConcurrency(16), 32);
  assert.ok(defaultStartConcurrency() >= 8);
});
