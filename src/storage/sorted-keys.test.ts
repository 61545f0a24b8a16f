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
