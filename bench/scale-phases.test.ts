import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loopDelayOver } from './scale-phases.ts';
import { snapshotOf } from './scale-metrics.ts';

test("a phase's event-loop delay joins every /metrics reading in it (each covers the time since the one before)", () => {
  const r = (at: number, mean: number, p99: number, max: number) => ({ ...snapshotOf([], at), loopDelayMs: { mean, p99, max } });
  // Readings at 0 (phase start), 15 s, 20 s (phase end), 35 s (next phase): out of time order, as concurrent reads finish.
  const readings = [r(20_000, 40, 90, 120), r(0, 999, 999, 999), r(15_000, 10, 30, 800), r(35_000, 5, 5, 5)];
  // 15 s at 10 ms and 5 s at 40 ms: 17.5 ms; the worst reading's p99 and the largest max; the start reading is not in it.
  assert.deepEqual(loopDelayOver(readings, 0, 20_000), { mean: 17.5, p99: 90, max: 800 });
  assert.deepEqual(loopDelayOver(readings, 20_000, 35_000), { mean: 5, p99: 5, max: 5 });
  assert.deepEqual(loopDelayOver(readings, 40_000, 50_000), { mean: 0, p99: 0, max: 0 });
});
