import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QueuedWatcher, type EncodedEvent } from './watch-queue.ts';

const ev = (revision: number): EncodedEvent => ({ type: 'ADDED', key: `/k/${revision}`, revision, createRevision: revision, value: { n: revision } });
const tick = () => new Promise((r) => setImmediate(r));

test('a progress notification is delivered after the events before it, and makes older revisions duplicates', async () => {
  const seen: string[] = [];
  const w = new QueuedWatcher('/k/', 0, { onEvent: (e) => seen.push(`event ${e.revision}`), onProgress: (r) => seen.push(`progress ${r}`) }, () => {});
  w.push(ev(1));
  w.push(ev(2));
  w.progress(5);
  w.push(ev(4));
  w.progress(3);
  w.push(ev(6));
  await tick();
  assert.deepEqual(seen, ['event 1', 'event 2', 'progress 5', 'event 6']);
});

test('while paused, progress waits behind the queued events; without onProgress it only moves the position', async () => {
  const seen: string[] = [];
  const w = new QueuedWatcher('/k/', 0, { onEvent: (e) => seen.push(`event ${e.revision}`), onProgress: (r) => seen.push(`progress ${r}`) }, () => {});
  w.pause();
  w.push(ev(1));
  w.progress(2);
  await tick();
  assert.deepEqual(seen, []);
  w.resume();
  await tick();
  assert.deepEqual(seen, ['event 1', 'progress 2']);

  const plain: number[] = [];
  const p = new QueuedWatcher('/k/', 0, { onEvent: (e) => plain.push(e.revision) }, () => {});
  p.progress(3);
  p.push(ev(2));
  p.push(ev(4));
  await tick();
  assert.deepEqual(plain, [4]);
  assert.equal(p.queued, 0);
});
