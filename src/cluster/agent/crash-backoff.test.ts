import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CrashBackoff, goDuration } from './crash-backoff.ts';

test('first restart at once, then 10 s doubling to 5 min; expired after 10 min since the last restart', () => {
  let now = 0;
  const b = new CrashBackoff(() => now);
  const key = 'uid/c';
  assert.equal(b.inBackoffSince(key, now), false, 'no entry: restart now');
  b.next(key, now);
  assert.equal(b.get(key), 10_000);
  now = 1_000;
  assert.equal(b.inBackoffSince(key, 500), true, 'exited 0.5 s ago, 10 s to wait');
  now = 10_600;
  assert.equal(b.inBackoffSince(key, 500), false);
  const delays = [];
  for (let i = 0; i < 8; i++) {
    b.next(key, now);
    delays.push(b.get(key));
  }
  assert.deepEqual(delays, [20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000, 300_000]);
  // A container that exits more than 2 x 5 min after the last restart starts over.
  const exitedAt = now + 600_001;
  now = exitedAt;
  assert.equal(b.inBackoffSince(key, exitedAt), false);
  b.next(key, exitedAt);
  assert.equal(b.get(key), 10_000);
  b.forget('uid/');
  assert.equal(b.size, 0);
});

test('inBackoffSinceUpdate counts from the last failure (image pulls)', () => {
  let now = 0;
  const b = new CrashBackoff(() => now);
  b.next('k', now);
  now = 9_999;
  assert.equal(b.inBackoffSinceUpdate('k'), true);
  now = 10_000;
  assert.equal(b.inBackoffSinceUpdate('k'), false);
});

test('goDuration prints as Go does', () => {
  assert.equal(goDuration(10_000), '10s');
  assert.equal(goDuration(80_000), '1m20s');
  assert.equal(goDuration(300_000), '5m0s');
});
