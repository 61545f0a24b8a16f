import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rfc3339 } from './time.ts';

test('rfc3339: whole seconds in UTC, the same text within a second, the right one when the second changes either way', () => {
  assert.equal(rfc3339(new Date('2026-12-07T02:45:10.123Z')), '2026-12-07T02:45:10Z');
  assert.equal(rfc3339(new Date('2026-12-07T02:45:10.999Z')), '2026-12-07T02:45:10Z');
  assert.equal(rfc3339(new Date('2026-12-07T02:45:11.000Z')), '2026-12-07T02:45:11Z');
  assert.equal(rfc3339(new Date('2026-12-07T02:45:09.500Z')), '2026-12-07T02:45:09Z');
  assert.equal(rfc3339(new Date('1969-12-31T23:59:59.500Z')), '1969-12-31T23:59:59Z');
  assert.equal(rfc3339(new Date('1970-01-01T00:00:00.000Z')), '1970-01-01T00:00:00Z');
  assert.throws(() => rfc3339(new Date(Number.NaN)), RangeError);
});
