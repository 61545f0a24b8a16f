import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { formatProgress, startProgress } from './scale-progress.ts';

test('a progress line: counts with each one\'s rate over the interval', () => {
  assert.equal(formatProgress(20.4, { created: 3000, bound: 1200, running: 900 }, { created: 1000, bound: 200, running: 400 }, 10), '  20 s: 3000 created (200/s), 1200 bound (100/s), 900 running (50/s)');
});

test('a line every interval until stopped, rates from the previous line', () => {
  mock.timers.enable({ apis: ['setInterval'] });
  try {
    let t = 0;
    const c = { created: 0, bound: 0, running: 0 };
    const lines: string[] = [];
    const stop = startProgress(() => ({ ...c }), (l) => lines.push(l), 10_000, () => t);
    c.created = 500;
    t = 10_000;
    mock.timers.tick(10_000);
    c.bound = 300;
    t = 20_000;
    mock.timers.tick(10_000);
    stop();
    mock.timers.tick(30_000);
    assert.deepEqual(lines, ['  10 s: 500 created (50/s), 0 bound (0/s), 0 running (0/s)', '  20 s: 500 created (0/s), 300 bound (30/s), 0 running (0/s)']);
  } finally {
    mock.timers.reset();
  }
});
