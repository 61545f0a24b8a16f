import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PriorityLevel, type Waiter } from './priority-level.ts';

const quiet: Waiter = { dispatch() {}, leave() {} };

test('queued requests that leave while every seat stays taken do not grow the queues without bound', () => {
  const level = new PriorityLevel({ name: 'l', uid: 'u', exempt: false, nominal: 1, lendable: 0, borrowing: 0, queuing: { queues: 2, handSize: 1, queueLengthLimit: 5 } }, 60_000, () => 0);
  assert.equal(level.admit(() => 1n, quiet), 'run');
  // Clients that queue and go away, over and over, while the one seat is never freed.
  for (let i = 0; i < 10_000; i++) {
    const t = level.admit(() => BigInt(i), quiet);
    assert.equal(typeof t, 'object');
    (t as { cancel(): void }).cancel();
  }
  assert.equal(level.waiting, 0);
  assert.ok(level.heldEntries <= 2 * (64 + 1), `held ${level.heldEntries}`);
  // Still a working queue: one waits, and gets the seat when it frees.
  let ran = 0;
  const t = level.admit(() => 7n, { dispatch: () => void ran++, leave() {} });
  assert.equal(typeof t, 'object');
  level.finish();
  assert.equal(ran, 1);
  assert.equal(level.executing, 1);
});
