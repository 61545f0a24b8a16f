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

test('with a time window the ring holds about that long of events, as upstream resizes its history', () => {
  let now = 0;
  const ring = new EventRing(100 * 1024, 0, Number.POSITIVE_INFINITY, { ms: 75_000, now: () => now });
  // 10 events a second: the limit doubles from 100 while all it holds is younger than 75 s:
  // 200 (20 s), 400 (40 s), 800 (80 s, older than the window: no further).
  let r = 0;
  for (; r < 3000; r++, now += 100) ring.push(ev(r + 1));
  assert.equal(ring.length, 800);
  assert.equal(ring.from, 3000 - 800);
  assert.deepEqual(revs(ring.after(2998)), [2999, 3000]);
  // 1 event a second: it halves while even the newest quarter is older than 75 s: 400, then 200,
  // whose newest quarter (50 s) is fresh.
  for (let i = 0; i < 2000; i++, r++, now += 1000) ring.push(ev(r + 1));
  assert.equal(ring.length, 200);
  // One every 5 s: down to 100, and not below.
  for (let i = 0; i < 1000; i++, r++, now += 5000) ring.push(ev(r + 1));
  assert.equal(ring.length, 100);
  assert.equal(ring.from, r - 100);
  // A burst within the window grows it again (up to the capacity): all of the burst is held.
  for (let i = 0; i < 20_000; i++, r++) ring.push(ev(r + 1));
  assert.ok(ring.length >= 20_000 && ring.from <= r - 20_000, `${ring.length} from ${ring.from}`);
  // Without a window only the capacity bounds it (and nothing is held back for quiet rings).
  const plain = new EventRing(1000, 0);
  for (let i = 1; i <= 5000; i++) plain.push(ev(i));
  assert.equal(plain.length, 1000);
});
