import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../api/errors.ts';
import { DEFAULT_WATCH_LIMITS, WatchRegistry, watchLimits } from './watch-limits.ts';

const alice = { username: 'alice', groups: [] };
const bob = { username: 'bob', groups: [] };

test('limits are checked when the server is built', () => {
  assert.deepEqual(watchLimits(), DEFAULT_WATCH_LIMITS);
  assert.equal(watchLimits({ maxPerUser: 3 }).maxPerUser, 3);
  for (const bad of [{ maxPerUser: 0 }, { maxBacklogEvents: -1 }, { maxBacklogBytes: 1.5 }, { freshnessTimeoutMs: Number.NaN }]) {
    assert.throws(() => watchLimits(bad), RangeError, JSON.stringify(bad));
  }
});

test('each user holds at most maxPerUser watches; a release frees one slot, once', () => {
  const reg = new WatchRegistry(watchLimits({ maxPerUser: 2 }));
  const a1 = reg.acquire(alice);
  reg.acquire(alice);
  const err = (() => {
    try {
      reg.acquire(alice);
    } catch (e) {
      return e;
    }
  })();
  assert.ok(err instanceof ApiError);
  assert.equal(err.code, 429);
  assert.equal(err.reason, 'TooManyRequests');
  assert.equal(err.details?.retryAfterSeconds, 1);
  assert.equal(reg.stats.rejected, 1);
  reg.acquire(bob);
  assert.equal(reg.stats.active, 3);
  a1();
  a1();
  assert.equal(reg.held('alice'), 1, 'a second release of the same slot changes nothing');
  reg.acquire(alice);
  assert.equal(reg.stats.active, 3);
});
