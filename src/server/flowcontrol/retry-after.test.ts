import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DroppedRequests } from './retry-after.ts';

test('Retry-After starts at 1, doubles under sustained drops and falls back when they stop', () => {
  let t = 1000_000;
  const d = new DroppedRequests(() => new Date(t));
  assert.equal(d.retryAfter('l'), 1);
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < 10; i++) d.record('l');
    t += 1000;
  }
  d.record('l');
  assert.ok(d.retryAfter('l') >= 2, `grew to ${d.retryAfter('l')}`);
  const peak = d.retryAfter('l');
  for (let s = 0; s < 40; s++) {
    t += 2000;
    d.record('l');
  }
  assert.ok(d.retryAfter('l') < peak, 'one drop every other second is below the bar: it falls');
  assert.equal(d.retryAfter('other'), 1);
});
