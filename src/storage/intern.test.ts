import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createInterner } from './intern.ts';

test('holds short strings up to its bound, then starts over; long strings pass through', () => {
  const i = createInterner(8, 3);
  assert.equal(i('a'), 'a');
  assert.equal(i('a'), 'a');
  assert.equal(i.size, 1, 'one entry per distinct string');
  i('b');
  i('c');
  assert.equal(i.size, 3);
  assert.equal(i('d'), 'd');
  assert.equal(i.size, 1, 'full: the table starts over with the new string');
  assert.equal(i('a long string'), 'a long string');
  assert.equal(i.size, 1, 'longer than maxLength: not held');
});
