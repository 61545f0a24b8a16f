import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventRing } from './event-ring.ts';
import type { EncodedEvent } from './watch-queue.ts';

const ev = (revision: number): EncodedEvent => ({ type: 'ADDED', key: `/k${revision}`, revision, createRevision: revision, value: '{}' });
const revs = (it: Iterable<EncodedEvent>) => Array.from(it, (e) => e.revision);

test('the ring keeps the newest events and knows from where it is complete', () => {
  const ring = new EventRing(3, 10);
  assert.equal(ring.from, 10);
  assert.deepEqual(revs(ring.after(10)), []);
  for (const r of [11, 12, 13]) ring.push(ev(r));
  assert.equal(ring.from, 10);
  ring.push(ev(14));
  ring.push(ev(15));
  assert.equal(ring.length, 3);
  assert.equal(ring.from, 12, 'events after 12 are all still held');
  const cases: Array<[number, number[]]> = [
    [12, [13, 14, 15]],
    [13, [14, 15]],
    [15, []],
    [99, []],
  ];
  for (const [after, want] of cases) assert.deepEqual(revs(ring.after(after)), want, `after ${after}`);
});

test('the ring refuses a useless capacity', () => {
  assert.throws(() => new EventRing(0, 0), RangeError);
});

test('the ring is bounded in bytes too: large events evict the oldest, and the newest is always kept', () => {
  const ring = new EventRing(100, 10);
  const sized = new EventRing(100, 10, 1000);
  for (let r = 11; r <= 20; r++) {
    ring.push(ev(r), 300);
    sized.push(ev(r), 300);
  }
  assert.equal(ring.length, 10, 'without a byte bound only the count applies');
  assert.equal(sized.length, 3);
  assert.equal(sized.bytes, 900);
  assert.equal(sized.from, 17);
  assert.deepEqual(revs(sized.after(17)), [18, 19, 20]);
  sized.push(ev(21), 5000);
  assert.deepEqual(revs(sized.after(0)), [21], 'an event larger than the bound is still held, alone');
  assert.equal(sized.from, 20);
  assert.equal(sized.bytes, 5000);
  sized.push(ev(22), 10);
  assert.deepEqual(revs(sized.after(0)), [22]);
  assert.equal(sized.bytes, 10);
  assert.throws(() => new EventRing(1, 0, 0), RangeError);
});

test('the ring grows as events arrive and shrinks as they leave, keeping their order', () => {
  const ring = new EventRing(1000, 0);
  for (let r = 1; r <= 700; r++) ring.push(ev(r));
  assert.deepEqual(revs(ring.after(690)), [691, 692, 693, 694, 695, 696, 697, 698, 699, 700]);
  for (let i = 0; i < 695; i++) ring.evictOldest();
  assert.equal(ring.from, 695);
  assert.deepEqual(revs(ring.after(0)), [696, 697, 698, 699, 700]);
  for (let r = 701; r <= 2000; r++) ring.push(ev(r));
  assert.equal(ring.length, 1000, 'the capacity still holds');
  assert.equal(ring.from, 1000);
  assert.deepEqual(revs(ring.after(1995)), [1996, 1997, 1998, 1999, 2000]);
});
