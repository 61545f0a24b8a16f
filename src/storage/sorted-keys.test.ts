import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SortedKeys } from './sorted-keys.ts';

test('keys stay sorted in code point order without duplicates', () => {
  const s = new SortedKeys();
  for (const k of ['/b', '/a/😀', '/a/\uffff', '/a', '/b', '/a/x']) s.insert(k);
  assert.deepEqual(s.slice(0, s.size), ['/a', '/a/x', '/a/\uffff', '/a/😀', '/b']);
  s.remove('/a/x');
  s.remove('/missing');
  assert.deepEqual(s.slice(0, s.size), ['/a', '/a/\uffff', '/a/😀', '/b']);
  assert.equal(s.lowerBound('/a/'), 1);
  assert.equal(s.endIndex('/a0'), 3);
  assert.equal(s.endIndex(undefined), 4);
});

test('order holds as keys above U+FFFF come and go (the engine order is used only while none is held)', () => {
  const s = new SortedKeys();
  for (const k of ['/k/\uffff', '/k/a', '/k/\ue000']) s.insert(k);
  assert.equal(s.lowerBound('/k/😀'), 3, 'a surrogate probe sorts after every BMP key');
  s.insert('/k/😀');
  s.insert('/k/\ud7ff');
  assert.deepEqual(s.slice(0, s.size), ['/k/a', '/k/\ud7ff', '/k/\ue000', '/k/\uffff', '/k/😀']);
  s.remove('/k/😀');
  s.insert('/k/\uff00');
  assert.deepEqual(s.slice(0, s.size), ['/k/a', '/k/\ud7ff', '/k/\ue000', '/k/\uff00', '/k/\uffff']);
  assert.equal(s.lowerBound('/k/\ue001'), 3);
  assert.equal(s.lowerBound('/k/😀'), 5);
});
