import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WrittenValues } from './written-values.ts';

const b = (s: string) => Buffer.from(s);

test('a written value is found by its key and exactly its bytes', () => {
  const w = new WrittenValues({ maxEntries: 10, maxBytes: 1000 });
  const v = Object.freeze({ a: 1 });
  w.remember('/k', b('{"a":1}'), v);
  assert.equal(w.get('/k', b('{"a":1}')), v, 'a copy of the bytes (as decoded from etcd) matches');
  assert.equal(w.get('/other', b('{"a":1}')), undefined);
  assert.equal(w.get('/k', b('{"a":2}')), undefined, 'other bytes at the key (someone else wrote it since) are not this value');
  w.remember('/k', b('{"a":2}'), { a: 2 });
  assert.deepEqual(w.get('/k', b('{"a":2}')), { a: 2 });
  assert.equal(w.get('/k', b('{"a":1}')), v, 'the value before the latest is kept with it (an update event\'s previous value)');
  w.remember('/k', b('{"a":3}'), { a: 3 });
  assert.equal(w.get('/k', b('{"a":1}')), undefined, 'no further back');
  w.remember('/s', b('"text"'), 'text');
  assert.equal(w.get('/s', b('"text"')), undefined, 'only objects are shared');
});

test('bounded in entries and bytes: two generations, the older dropped whole', () => {
  const w = new WrittenValues({ maxEntries: 4, maxBytes: 100 });
  for (let r = 1; r <= 5; r++) w.remember(`/k${r}`, Buffer.alloc(10, r), { r });
  assert.ok(w.size <= 4, `size ${w.size}`);
  assert.equal(w.get('/k1', Buffer.alloc(10, 1)), undefined, 'the oldest is gone');
  assert.deepEqual(w.get('/k5', Buffer.alloc(10, 5)), { r: 5 });
  assert.deepEqual(w.get('/k4', Buffer.alloc(10, 4)), { r: 4 }, 'the older generation still answers');
  w.remember('/big', Buffer.alloc(45), { big: true });
  w.remember('/big2', Buffer.alloc(45), { big: 2 });
  assert.equal(w.get('/k5', Buffer.alloc(10, 5)), undefined, 'the bytes bound turned the generations over');
  assert.deepEqual(w.get('/big', Buffer.alloc(45)), { big: true });
  w.remember('/huge', Buffer.alloc(51), { huge: true });
  assert.equal(w.get('/huge', Buffer.alloc(51)), undefined, 'a value over half the bound is not kept');
});
