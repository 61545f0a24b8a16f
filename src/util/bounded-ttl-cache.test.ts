import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedTtlCache } from './bounded-ttl-cache.ts';

test('entries expire after their TTL; the oldest goes first when full', () => {
  let now = 0;
  const c = new BoundedTtlCache<string>(2, () => now);
  c.set('a', 'A', 100);
  c.set('b', 'B', 10);
  assert.equal(c.get('a'), 'A');
  now = 10;
  assert.equal(c.get('b'), undefined, 'expired');
  c.set('b', 'B', 100);
  c.set('c', 'C', 100);
  assert.equal(c.size, 2);
  assert.equal(c.get('a'), undefined, 'evicted as the oldest');
  assert.deepEqual([c.get('b'), c.get('c')], ['B', 'C']);
  c.set('d', 'D', 0);
  assert.equal(c.get('d'), undefined, 'a zero TTL keeps nothing');
  assert.throws(() => new BoundedTtlCache(0, () => 0), /positive integer/);
});
