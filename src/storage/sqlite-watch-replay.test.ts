/**
 * A watch from an old revision replays the SQLite log page by page: the watcher never holds more
 * than one page, a paused watcher reads no further page, and the hand-over to live events is
 * exact even when writes commit during the replay.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from './sqlite.ts';
import type { SqliteStore } from './sqlite.ts';
import type { QueuedWatcher } from './watch-queue.ts';
import { StorageError } from './types.ts';
import type { WatchBacklog, WatchEvent } from './types.ts';

const PAGE: WatchBacklog = { maxEvents: 100, maxBytes: 1024 * 1024 };
const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
};

async function fill(store: SqliteStore, prefix: string, n: number): Promise<void> {
  // One tick: one group commit.
  await Promise.all(Array.from({ length: n }, (_, i) => store.create(`${prefix}${i % 2 === 0 ? 'a' : 'b'}/${i}`, { i })));
}

interface Recorder {
  w: QueuedWatcher;
  seen: number[];
  errors: Error[];
  maxQueued: number;
  /** Resolves once an event at or past `revision` arrived. */
  reached(revision: number): Promise<void>;
}

function record(store: SqliteStore, prefix: string, from: number, onEvent?: (e: WatchEvent, r: Recorder) => void): Recorder {
  const waits: Array<{ revision: number; resolve: () => void; reject: (e: Error) => void }> = [];
  const r: Recorder = {
    w: undefined as unknown as QueuedWatcher,
    seen: [],
    errors: [],
    maxQueued: 0,
    reached: (revision) =>
      r.seen.at(-1)! >= revision ? Promise.resolve() : new Promise((resolve, reject) => waits.push({ revision, resolve, reject })),
  };
  r.w = store.watch(prefix, from, {
    onEvent: (e) => {
      // Events still queued behind this one: the watcher's whole holding.
      r.maxQueued = Math.max(r.maxQueued, r.w.queued + 1);
      r.seen.push(e.revision);
      onEvent?.(e, r);
      for (const x of waits.filter((x) => e.revision >= x.revision)) x.resolve();
    },
    onError: (err) => {
      r.errors.push(err);
      for (const x of waits) x.reject(err);
    },
    backlog: PAGE,
  }) as QueuedWatcher;
  return r;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

for (const kind of ['memory', 'file'] as const) {
  test(`${kind}: a watch over 20,000 old log rows holds at most one page, delivers each event once in order, and hands over to writes made during the replay`, async () => {
    const dir = kind === 'file' ? await mkdtemp(join(tmpdir(), 'portcullis-replay-')) : undefined;
    // No WAL checkpoint here: one holds writes until the database file is synced while the replay
    // goes on, which would make how many writes land during the replay depend on the disk.
    const store = openSqliteStore({ path: dir ? join(dir, 'state.db') : ':memory:', walCheckpointBytes: 2 ** 40 });
    try {
      await fill(store, '/r/', 20_000);
      const base = store.currentRevision();
      const writes: Array<Promise<unknown>> = [];
      let publishedDuringReplay = 0;
      // Writes land at several points of the replay: early, in the middle, and just before its end.
      const writeAt = new Map([
        [50, 'early'],
        [10_000, 'middle'],
        [base - 20, 'late'],
        [base, 'last'],
      ]);
      const all = record(store, '/r/', 0, (e, r) => {
        const tag = writeAt.get(e.revision);
        if (!tag) return;
        const batch: Array<Promise<unknown>> = [];
        for (let i = 0; i < 30; i++) {
          const write = store.create(`/r/${i % 2 === 0 ? 'a' : 'b'}/${tag}-${i}`, { tag });
          batch.push(write.then(() => all.w.replaying && publishedDuringReplay++));
        }
        writes.push(...batch);
        // The replay waits (a paused consumer reads no further page) until the batch is published,
        // so the writes land during the replay however fast the disk syncs or the replay reads:
        // under load a file store's syncs were slower than the whole replay (30 of 60 landed).
        r.w.pause();
        void Promise.allSettled(batch).then(() => r.w.resume());
      });
      const onlyA = record(store, '/r/a/', 0);
      await all.reached(base + 4 * 30);
      await Promise.all(writes);
      const final = store.currentRevision();
      assert.equal(final, base + 4 * 30);
      // A write after the replay is over arrives live.
      const after = await store.create('/r/a/after', {});
      await all.reached(after.modRevision);
      await onlyA.reached(after.modRevision);

      assert.ok(all.maxQueued <= PAGE.maxEvents, `held ${all.maxQueued} events at once (page ${PAGE.maxEvents})`);
      assert.ok(onlyA.maxQueued <= PAGE.maxEvents, `held ${onlyA.maxQueued} events at once (page ${PAGE.maxEvents})`);
      assert.ok(publishedDuringReplay >= 60, `only ${publishedDuringReplay} writes were published while the replay ran`);
      assert.deepEqual(all.seen, range(1, after.modRevision), 'every event exactly once, in order');
      const list = await store.list('/r/a/');
      const aRevisions = list.items.map((o) => o.modRevision).sort((x, y) => x - y);
      assert.deepEqual(onlyA.seen, aRevisions);
      assert.deepEqual([...all.errors, ...onlyA.errors], []);
      all.w.close();
      onlyA.w.close();
    } finally {
      await store.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  });
}

test('a paused watcher in replay reads no further page until resumed, then continues exactly', async () => {
  const store = openSqliteStore({ path: ':memory:' });
  try {
    await fill(store, '/p/', 1_000);
    const base = store.currentRevision();
    // Pauses in the middle of the first page and again right at the end of the third.
    const r = record(store, '/p/', 0, (e, rec) => {
      if (e.revision === 50 || e.revision === 300) rec.w.pause();
    });
    await turns(10);
    assert.deepEqual(r.seen, range(1, 50));
    assert.equal(r.w.queued, 50, 'only the rest of the first page is held');

    // Writes while paused and replaying are read from the log later, not queued now.
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.create(`/p/a/paused-${i}`, {})));
    await turns(10);
    assert.equal(r.w.queued, 50);
    assert.deepEqual(r.w.backlog, { events: 0, bytes: 0 });

    r.w.resume();
    await r.reached(300);
    await turns(10);
    assert.deepEqual(r.seen, range(1, 300));
    assert.equal(r.w.queued, 0, 'paused at a page boundary: the next page is not read');
    assert.ok(r.w.replaying);

    r.w.resume();
    await r.reached(base + 20);
    assert.deepEqual(r.seen, range(1, base + 20));
    assert.equal(r.w.replaying, false);
    assert.deepEqual(r.errors, []);
    r.w.close();
  } finally {
    await store.close();
  }
});

test('compaction past a paused replay ends the watch with Compacted after the page it holds, never with a gap', async () => {
  const store = openSqliteStore({ path: ':memory:' });
  try {
    await fill(store, '/c/', 500);
    // Rewrite every key so compaction has superseded rows to remove.
    const keys = (await store.list('/c/')).items;
    await Promise.all(keys.map((o) => store.update(o.key, { again: true }, o.modRevision)));
    const r = record(store, '/c/', 0, (e, rec) => {
      if (e.revision === 10) rec.w.pause();
    });
    await turns(5);
    await store.compact(store.currentRevision() - 1);
    r.w.resume();
    await assert.rejects(r.reached(store.currentRevision()), (err: unknown) => err instanceof StorageError && err.code === 'Compacted');
    assert.deepEqual(r.seen, range(1, PAGE.maxEvents));
    assert.equal(r.w.closed, true);
  } finally {
    await store.close();
  }
});

test('closing the store ends a watch in replay with Closed', async () => {
  const store = openSqliteStore({ path: ':memory:' });
  await fill(store, '/x/', 300);
  const r = record(store, '/x/', 0, (e, rec) => {
    if (e.revision === 1) rec.w.pause();
  });
  await turns(2);
  await store.close();
  r.w.resume();
  await assert.rejects(r.reached(300), (err: unknown) => err instanceof StorageError && err.code === 'Closed');
  assert.equal(r.seen.length, PAGE.maxEvents);
});
