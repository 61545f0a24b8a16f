import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WrittenValues } from './written-values.ts';

test('a written value is found by key, revision and byte length only', () => {
  const w = new WrittenValues({ maxEntries: 10, maxBytes: 1000 });
  const v = Object.freeze({ a: 1 });
  w.remember('/k', 5, v, 7);
  assert.equal(w.get('/k', 5, 7), v);
  assert.equal(w.get('/k', 6, 7), undefined);
  assert.equal(w.get('/other', 5, 7), undefined);
  assert.equal(w.get('/k', 5, 8), undefined, 'other bytes at the same revision (a restored etcd) are not this value');
  w.remember('/s', 6, 'text', 6);
  assert.equal(w.get('/s', 6, 6), undefined, 'only objects are shared');
});

test('bounded in entries and bytes, oldest dropped first', () => {
  const w = new WrittenValues({ maxEntries: 3, maxBytes: 100 });
  for (let r = 1; r <= 5; r++) w.remember('/k', r, { r }, 10);
  assert.equal(w.size, 3);
  assert.equal(w.get('/k', 2, 10), undefined);
  assert.deepEqual(w.get('/k', 5, 10), { r: 5 });
  w.remember('/big', 6, { big: true }, 90);
  assert.equal(w.size, 2, 'the bytes bound dropped the older entries');
  assert.deepEqual(w.get('/big', 6, 90), { big: true });
  w.remember('/huge', 7, { huge: true }, 101);
  assert.equal(w.get('/huge', 7, 101), undefined, 'a value over the whole bound is not kept');
  assert.deepEqual(w.get('/big', 6, 90), { big: true });
});
