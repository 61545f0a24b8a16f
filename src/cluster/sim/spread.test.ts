import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spreadOver, type Ticker } from './spread.ts';

function manualTicker() {
  let fn: (() => void) | undefined;
  let period = 0;
  const ticker: Ticker = {
    every(ms, f) {
      period = ms;
      fn = f;
      return () => (fn = undefined);
    },
  };
  return { ticker, tick: () => fn?.(), period: () => period, stopped: () => fn === undefined };
}

test('spreadOver visits every item once a period, a few per tick, in steady slots', () => {
  const t = manualTicker();
  const items = Array.from({ length: 10 }, (_, i) => i);
  const seen: number[][] = [];
  let batch: number[] = [];
  const stop = spreadOver(items, 1000, (i) => batch.push(i), t.ticker, 4);
  // 4 slots: a tick every 250 ms, each visiting the items of one slot.
  assert.equal(t.period(), 250);
  for (let k = 0; k < 8; k++) {
    batch = [];
    t.tick();
    seen.push(batch);
  }
  assert.deepEqual(seen.slice(0, 4), [[0, 4, 8], [1, 5, 9], [2, 6], [3, 7]]);
  // The next period repeats the same slots: each item keeps its phase.
  assert.deepEqual(seen.slice(4), seen.slice(0, 4));
  assert.deepEqual(seen.slice(0, 4).flat().sort((a, b) => a - b), items);
  stop();
  assert.equal(t.stopped(), true);
});

test('spreadOver with fewer items than slots: one item per tick', () => {
  const t = manualTicker();
  const seen: string[] = [];
  spreadOver(['a', 'b', 'c'], 30, (x) => seen.push(x), t.ticker);
  assert.equal(t.period(), 10);
  for (let k = 0; k < 4; k++) t.tick();
  assert.deepEqual(seen, ['a', 'b', 'c', 'a']);
});
