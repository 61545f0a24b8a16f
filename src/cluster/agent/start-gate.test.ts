import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StartGate } from './start-gate.ts';

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
