import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocate, SeatDemand } from './borrowing.ts';

test('allocation: busy levels borrow what idle ones may lend, within their bounds, summing to the total', () => {
  // Two levels of 50 nominal seats: A lends up to 40, B is busy with demand 90 and may borrow without limit.
  const a = allocate(100, [
    { lowerBound: 10, upperBound: 50, target: 10 },
    { lowerBound: 50, upperBound: Infinity, target: 90 },
  ])!;
  assert.deepEqual(a.map(Math.round), [10, 90]);
  // A borrowing limit caps the borrower; the rest stays with the lender.
  const b = allocate(100, [
    { lowerBound: 10, upperBound: 50, target: 10 },
    { lowerBound: 50, upperBound: 75, target: 90 },
  ])!;
  assert.deepEqual(b.map(Math.round), [25, 75]);
  // Everyone idle: the seats go back in proportion to what each keeps.
  const c = allocate(100, [
    { lowerBound: 25, upperBound: 50, target: 25 },
    { lowerBound: 25, upperBound: Infinity, target: 25 },
  ])!;
  assert.deepEqual(c.map(Math.round), [50, 50]);
  assert.equal(allocate(10, [{ lowerBound: 20, upperBound: 30, target: 20 }]), undefined, 'lower bounds above the total');
});

test('seat demand: a time-weighted average and the high watermark of the period', () => {
  let t = 0;
  const d = new SeatDemand(() => t);
  d.set(4);
  t = 1000;
  d.set(0);
  t = 2000;
  d.period();
  assert.equal(d.highWatermark, 4);
  // Average 2, deviation 2: the envelope is 4.
  assert.equal(d.smoothed, 4);
  t = 12_000;
  d.period();
  assert.equal(d.highWatermark, 0);
  assert.ok(d.smoothed < 4 && d.smoothed > 3.9, 'an idle period lowers the smoothed demand slowly');
});
