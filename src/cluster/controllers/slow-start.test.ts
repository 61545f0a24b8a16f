import { test } from 'node:test';
import assert from 'node:assert/strict';
import { slowStartBatch } from './slow-start.ts';

test('slowStartBatch runs batches of 1, 2, 4, ... and stops after the first failing batch', async () => {
  let calls = 0;
  const r = await slowStartBatch(10, 1, async () => {
    calls++;
  });
  assert.deepEqual(r, { successes: 10 });
  assert.equal(calls, 10);

  // Every call fails: one attempt, not ten (quota, admission).
  calls = 0;
  const f = await slowStartBatch(10, 1, async () => {
    calls++;
    throw new Error('exceeded quota');
  });
  assert.equal(calls, 1);
  assert.equal(f.successes, 0);
  assert.equal((f.error as Error).message, 'exceeded quota');

  // The 4th call fails: batches 1 and 2 succeed, batch 3 (size 4) has 3 successes, nothing after.
  calls = 0;
  const g = await slowStartBatch(10, 1, async () => {
    if (++calls === 4) throw new Error('boom');
  });
  assert.equal(calls, 7);
  assert.equal(g.successes, 6);
});
