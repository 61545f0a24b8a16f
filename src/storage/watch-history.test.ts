import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WatchHistory } from './watch-history.ts';
import type { EncodedEvent } from './watch-queue.ts';

const PODS = '/registry/core/pods/';
const CMS = '/registry/core/configmaps/';
const LEASES = '/registry/coordination.k8s.io/leases/';
const ev = (key: string, revision: number): EncodedEvent => ({ type: 'MODIFIED', key, revision, createRevision: 1, value: {} });
const revs = (it: Iterable<EncodedEvent>) => Array.from(it, (e) => e.revision);

test('each resource has its own bounded history; a flood of one does not expire another', () => {
  const h = new WatchHistory(10, { perResource: 50, totalEvents: 1000, totalBytes: 1e9 });
  h.push(ev(`${CMS}ns/a`, 11), 100);
  for (let r = 12; r < 1012; r++) h.push(ev(`${PODS}ns/p${r}`, r), 100);
  assert.equal(h.lengthOf(PODS), 50, 'the per-resource bound holds');
  assert.equal(h.from(`${PODS}ns/`), 961);
  assert.equal(h.from(CMS), 10, 'the ConfigMaps are complete from the start');
  assert.deepEqual(revs(h.after(`${CMS}ns/`, 10)), [11]);
  assert.deepEqual(revs(h.after(`${CMS}ns/`, 11)), []);
  assert.equal(h.from('/registry/core/namespaces/'), 10, 'a resource never written is complete too');
  assert.equal(h.from('/registry/'), 961, 'a watch across resources needs all of them complete');
  assert.deepEqual(revs(h.after('/registry/core/', 1009)), [1010, 1011]);
});

test('over the total bound, the resource with the largest share pays, and emptied histories are dropped', () => {
  const h = new WatchHistory(0, { perResource: 1000, totalEvents: 100, totalBytes: 10_000 });
  for (let r = 1; r <= 5; r++) h.push(ev(`${CMS}ns/c${r}`, r), 10);
  for (let r = 6; r <= 300; r++) h.push(ev(`${PODS}ns/p`, r), 10);
  assert.equal(h.length, 100);
  assert.equal(h.lengthOf(CMS), 5, 'the flood evicted its own events');
  assert.equal(h.lengthOf(PODS), 95);
  // A resource with large values is the largest by bytes though it has fewer events.
  // The third lease needs room in bytes: pods pay until the leases' share (8,000 of 10,000
  // bytes) is the largest, then a lease does.
  for (let r = 301; r <= 303; r++) h.push(ev(`${LEASES}ns/l`, r), 4000);
  assert.ok(h.totalBytes <= 10_000, `${h.totalBytes}`);
  assert.equal(h.lengthOf(CMS), 5);
  assert.equal(h.lengthOf(LEASES), 2, 'the leases pay for their bytes');
  assert.equal(h.lengthOf(PODS), 79);
  // The ConfigMaps catch up to an even share, at the pods' expense.
  for (let r = 304; r <= 400; r++) h.push(ev(`${CMS}ns/c`, r), 10);
  assert.ok(h.lengthOf(CMS) > h.lengthOf(PODS), `${h.lengthOf(CMS)} vs ${h.lengthOf(PODS)}`);

  // One huge event empties everyone else: their histories are dropped, and what they lost is
  // still known, so a watch of them falls through rather than missing events.
  h.push(ev('/other/x', 401), 50_000);
  assert.equal(h.length, 1, 'the newest event is always kept');
  assert.equal(h.lengthOf(PODS), 0);
  assert.equal(h.from(PODS), 400);
  assert.equal(h.from('/registry/core/secrets/'), 400);
  assert.deepEqual(revs(h.after('/other/', 0)), [401]);
  // That one goes in turn (over the byte bound): every history is complete only from 401 now.
  h.push(ev(`${PODS}ns/p`, 402), 10);
  assert.equal(h.length, 1);
  assert.equal(h.from(PODS), 401, 'a history started again is complete from where the dropped ones ended');
  assert.equal(h.from('/other/'), 401);
  assert.deepEqual(revs(h.after(`${PODS}ns/`, 401)), [402]);
});

test('with a time window a flood keeps about that long of its own events, and a quiet resource keeps its few', () => {
  let now = 0;
  const h = new WatchHistory(0, { perResource: 100 * 1024, totalEvents: 200_000, totalBytes: 1e9, window: { ms: 75_000, now: () => now } });
  for (let r = 1; r <= 5; r++, now += 1000) h.push(ev(`${CMS}ns/c${r}`, r), 10);
  // Leases renewed 500 times a second for 10 minutes: 51,200 held (~100 s), not 102,400.
  for (let r = 6; r < 6 + 300_000; r++, now += 2) h.push(ev(`${LEASES}ns/l${r % 5000}`, r), 10);
  assert.equal(h.lengthOf(LEASES), 51_200);
  assert.equal(h.lengthOf(CMS), 5, 'the quiet ConfigMaps keep theirs (under 100, a ring never evicts by time)');
  assert.equal(h.from(CMS), 0);
  assert.equal(h.length, 51_205);
});
