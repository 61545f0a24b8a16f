import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiStatusError } from './errors.ts';
import { DEFAULT_BACKOFF, DEFAULT_RETRY, retryOnConflict, retryOnError } from './retry.ts';

const conflict = () => new ApiStatusError(409, 'Conflict', 'Operation cannot be fulfilled on configmaps "x": the object has been modified; please apply your changes to the latest version and try again');
const recorder = () => {
  const slept: number[] = [];
  return { slept, deps: { sleep: async (ms: number) => void slept.push(ms), random: () => 1 } };
};

test('DefaultRetry and DefaultBackoff are client-go\'s', () => {
  assert.deepEqual({ ...DEFAULT_RETRY }, { steps: 5, durationMs: 10, factor: 1.0, jitter: 0.1 });
  assert.deepEqual({ ...DEFAULT_BACKOFF }, { steps: 4, durationMs: 10, factor: 5.0, jitter: 0.1 });
});

test('a Conflict runs fn again on the next attempt; the answer of the first success is returned', async () => {
  const { slept, deps } = recorder();
  const seen: number[] = [];
  const got = await retryOnConflict(DEFAULT_RETRY, async (attempt) => {
    seen.push(attempt);
    if (attempt < 3) throw conflict();
    return 'written';
  }, deps);
  assert.equal(got, 'written');
  assert.deepEqual(seen, [1, 2, 3]);
  assert.equal(slept.length, 2, 'a sleep between runs, none after the success');
  for (const ms of slept) assert.ok(Math.abs(ms - 11) < 1e-9, `10 ms stretched by the full 0.1 jitter: ${ms}`);
});

test('Conflicts without end: five runs, four sleeps, then the last Conflict itself', async () => {
  const { slept, deps } = recorder();
  let runs = 0;
  const last = conflict();
  await assert.rejects(retryOnConflict(DEFAULT_RETRY, async () => {
    runs++;
    throw runs === 5 ? last : conflict();
  }, deps), (e) => e === last);
  assert.equal(runs, 5);
  assert.equal(slept.length, 4);
});

test('any other error is thrown at once, not retried', async () => {
  const { slept, deps } = recorder();
  let runs = 0;
  const forbidden = new ApiStatusError(403, 'Forbidden', 'no');
  await assert.rejects(retryOnConflict(DEFAULT_RETRY, async () => {
    runs++;
    throw forbidden;
  }, deps), (e) => e === forbidden);
  assert.equal(runs, 1);
  assert.deepEqual(slept, []);
  // AlreadyExists is a 409 too, but not a Conflict.
  await assert.rejects(retryOnConflict(DEFAULT_RETRY, async () => {
    runs++;
    throw new ApiStatusError(409, 'AlreadyExists', 'exists');
  }, deps), /exists/);
  assert.equal(runs, 2);
});

test('the factor grows each step (DefaultBackoff: 10, 50, 250 ms), jitter on top of each; no jitter with random 0', async () => {
  const { slept, deps } = recorder();
  await assert.rejects(retryOnError(DEFAULT_BACKOFF, () => true, async () => {
    throw new Error('again');
  }, { ...deps, random: () => 0 }), /again/);
  assert.deepEqual(slept, [10, 50, 250]);
});

test('a zero duration does not sleep at all', async () => {
  const { slept, deps } = recorder();
  let runs = 0;
  await retryOnConflict({ steps: 2, durationMs: 0, factor: 1, jitter: 0 }, async () => {
    if (++runs === 1) throw conflict();
  }, deps);
  assert.equal(runs, 2);
  assert.deepEqual(slept, []);
});
