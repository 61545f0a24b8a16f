import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RenewalTiming } from './renewal-timing.ts';

test('renewal timing: due → handed to the client → answered, per phase, the first due time kept', () => {
  let now = 1_000;
  const t = new RenewalTiming(() => now);
  t.due('a');
  now += 30;
  t.due('a'); // still waiting: coalesced, keeps the earlier due time
  now += 20;
  const sa = t.started('a'); // waited 50 ms in the simulator
  now += 80;
  t.answered(sa); // 80 ms client → answer
  const sb = t.started('b'); // never due by the clock (registration's beat): no queue time
  now += 10;
  t.answered(sb);
  const first = t.take();
  assert.deepEqual(first.queueMs, { count: 1, p50: 50, p99: 50, max: 50, mean: 50 });
  assert.equal(first.requestMs.count, 2);
  assert.equal(first.requestMs.max, 80);
  assert.equal(first.requestMs.mean, 45);
  // Taken and reset: the next phase starts empty.
  assert.deepEqual(t.take(), { queueMs: { count: 0, p50: 0, p99: 0, max: 0, mean: 0 }, requestMs: { count: 0, p50: 0, p99: 0, max: 0, mean: 0 } });
  // A renewal started straight away waits 0 ms.
  t.due('c');
  t.answered(t.started('c'));
  assert.deepEqual(t.take().queueMs, { count: 1, p50: 0, p99: 0, max: 0, mean: 0 });
});
