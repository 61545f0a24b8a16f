import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteStore } from './sqlite.ts';
import { createWatchCache } from './watch-cache.ts';
import { QueuedWatcher } from './watch-queue.ts';
import type { WatchEvent } from './types.ts';

const microtasks = () => new Promise<void>((resolve) => setImmediate(resolve));

test('a quiet watcher of the watch cache has been given everything up to the cache revision', async () => {
  const cache = createWatchCache(openSqliteStore({ path: ':memory:' }), { historySize: 3 });
  await cache.list('');
  const start = cache.currentRevision();
  const seen: WatchEvent[] = [];
  const w = cache.watch('quiet/', start, { onEvent: (e) => seen.push(e) });
  assert.equal(w.deliveredRevision?.(), start);
  // Writes elsewhere, more of them than the history holds.
  for (let i = 0; i < 10; i++) await cache.create(`busy/${i}`, { i });
  await microtasks();
  const now = cache.currentRevision();
  assert.ok(now >= start + 10);
  assert.equal(w.deliveredRevision?.(), now);
  assert.equal(seen.length, 0);
  // What a client resumes from is still served from memory: a write there reaches the new watch.
  const resumed: WatchEvent[] = [];
  const again = cache.watch('quiet/', now, { onEvent: (e) => resumed.push(e) });
  const q = await cache.create('quiet/a', { a: 1 });
  await microtasks();
  assert.deepEqual(resumed.map((e) => [e.type, e.key, e.revision]), [['ADDED', 'quiet/a', q.modRevision]]);
  again.close();
  w.close();
  await cache.close();
});

test('a delivered revision never passes an event still queued for a slow watcher', async () => {
  const cache = createWatchCache(openSqliteStore({ path: ':memory:' }), { historySize: 100 });
  await cache.list('');
  const start = cache.currentRevision();
  const seen: number[] = [];
  const w = cache.watch('a/', start, { onEvent: (e) => seen.push(e.revision) });
  w.pause();
  const a = await cache.create('a/1', { v: 1 });
  await cache.create('b/1', { v: 1 });
  await cache.create('b/2', { v: 1 });
  await microtasks();
  // a/1 waits in the paused queue: a bookmark past a/1's revision would lose it on resume.
  assert.equal(w.deliveredRevision?.(), undefined);
  w.resume();
  await microtasks();
  assert.deepEqual(seen, [a.modRevision]);
  assert.equal(w.deliveredRevision?.(), cache.currentRevision());
  w.close();
  await cache.close();
});

test('QueuedWatcher: undefined while an event waits for its microtask, the source revision after', async () => {
  let source = 7;
  const seen: number[] = [];
  const w = new QueuedWatcher('a/', 5, { onEvent: (e) => seen.push(e.revision) }, () => {}, () => source);
  assert.equal(w.deliveredRevision(), 7);
  w.push({ type: 'ADDED', key: 'a/x', revision: 8, createRevision: 8, value: { x: 1 } });
  source = 9;
  assert.equal(w.deliveredRevision(), undefined);
  await microtasks();
  assert.deepEqual(seen, [8]);
  assert.equal(w.deliveredRevision(), 9);
  // Without a source it is the last revision accepted; a failing or closed watcher has none.
  const plain = new QueuedWatcher('a/', 5, { onEvent: () => {} }, () => {});
  assert.equal(plain.deliveredRevision(), 5);
  plain.fail(new Error('gone'));
  assert.equal(plain.deliveredRevision(), undefined);
  w.close();
  assert.equal(w.deliveredRevision(), undefined);
});
