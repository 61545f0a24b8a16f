import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecentEncodings } from './recent-encodings.ts';

test('keeps the most recent entries, oldest out first, bounded in entries', () => {
  const c = new RecentEncodings<string>(3, 1000);
  const keys = [{}, {}, {}, {}];
  keys.forEach((k, i) => c.set(k, `v${i}`, 10));
  assert.equal(c.size, 3);
  assert.equal(c.bytes, 30);
  assert.equal(c.get(keys[0]!), undefined, 'the oldest went');
  assert.deepEqual(keys.slice(1).map((k) => c.get(k)), ['v1', 'v2', 'v3']);
});

test('bounded in bytes; a new encoding of a held key replaces it in place', () => {
  const c = new RecentEncodings<string>(10, 100);
  const [a, b, d] = [{}, {}, {}];
  c.set(a, 'a', 40);
  c.set(b, 'b', 40);
  c.set(a, 'a2', 50); // 90 bytes, a stays oldest
  assert.equal(c.bytes, 90);
  assert.equal(c.get(a), 'a2');
  c.set(d, 'd', 30); // 120 > 100: the oldest (a) goes
  assert.equal(c.get(a), undefined);
  assert.equal(c.get(b), 'b');
  assert.equal(c.get(d), 'd');
  assert.equal(c.bytes, 70);
  c.set({}, 'huge', 101);
  assert.equal(c.size, 2, 'one larger than the bound is not kept and evicts nothing');
});

test('refuses bounds that hold nothing', () => {
  assert.throws(() => new RecentEncodings(0, 10), RangeError);
  assert.throws(() => new RecentEncodings(1, 0), RangeError);
});
