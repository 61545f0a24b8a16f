import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_TIMER_MS, realTimers } from './timers.ts';

test('realTimers waits out a delay over 2^31-1 ms in steps (Node would fire it after 1 ms)', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  const mocked = globalThis.setTimeout;
  const delays: number[] = [];
  globalThis.setTimeout = ((fn: () => void, ms: number) => {
    delays.push(ms);
    return mocked(fn, ms);
  }) as typeof setTimeout;
  try {
    const hours600 = 600 * 3600_000;
    let fired = 0;
    realTimers.setTimeout(() => fired++, hours600);
    // (The mock advances its clock before running a tick's timers: one tick per step.)
    mock.timers.tick(MAX_TIMER_MS);
    mock.timers.tick(hours600 - MAX_TIMER_MS - 1);
    assert.equal(fired, 0);
    mock.timers.tick(1);
    assert.equal(fired, 1);
    assert.ok(Math.max(...delays) <= MAX_TIMER_MS, `a native delay of ${Math.max(...delays)} ms`);

    // Cleared in any step; Infinity never fires.
    const h = realTimers.setTimeout(() => fired++, 3 * MAX_TIMER_MS);
    mock.timers.tick(MAX_TIMER_MS);
    mock.timers.tick(5);
    realTimers.clearTimeout(h);
    const never = realTimers.setTimeout(() => fired++, Infinity);
    for (let i = 0; i < 5; i++) mock.timers.tick(MAX_TIMER_MS);
    assert.equal(fired, 1);
    realTimers.clearTimeout(never);
    // Short delays are Node's own.
    realTimers.setTimeout(() => fired++, 10);
    mock.timers.tick(10);
    assert.equal(fired, 2);
  } finally {
    globalThis.setTimeout = mocked;
    mock.timers.reset();
  }
});
