/**
 * Counting a range as of an older revision: count() while a commit waits for its WAL sync (every
 * /metrics scrape's apiserver_storage_objects under load, and Events are counted from the store
 * since they left the watch cache) and a continued page's remainingItemCount. The current count
 * less what the writes since that revision changed, when they are fewer than the range's keys;
 * grouping the range's whole history (countAt) read all of it (~90 ms for 60,000 Events).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from './sqlite.ts';
import { createSchema, NO_END, prepareStatements } from './sqlite-schema.ts';
import { WalSync } from './wal-sync.ts';

/** The number of times the range-history count (countAt) ran during `fn`. */
async function countAtRuns(store: object, fn: () => Promise<void>): Promise<number> {
  // The statement is private: spied on to see which way the count went (results are checked apart).
  const stmt = (store as unknown as { stmts: { countAt: { get: (...a: unknown[]) => unknown } } }).stmts.countAt;
  const real = stmt.get;
  let runs = 0;
  stmt.get = (...a: unknown[]) => (runs++, real.apply(stmt, a));
  try {
    await fn();
  } finally {
    stmt.get = real;
  }
  return runs;
}

test('count() while a commit awaits its WAL sync: the published state, without reading the range\'s history', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-count-at-'));
  const store = openSqliteStore({ path: join(dir, 'state.db') });
  const realSync = WalSync.prototype.sync;
  let openGate: (() => void) | undefined;
  try {
    for (let i = 0; i < 200; i++) await store.create(`/e/k${String(i).padStart(3, '0')}`, { i });
    await store.create('/other/x', { i: 0 });
    const k5 = await store.get('/e/k005');
    await store.delete('/e/k007');
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    WalSync.prototype.sync = async function (this: WalSync) {
      await gate;
      return realSync.call(this);
    };
    // Written, not yet published: a create, a delete, an update, a re-create of a deleted key, a
    // create and delete of one new key, and writes outside the range.
    const pending = [
      store.create('/e/new', { i: 1 }),
      store.delete('/e/k001'),
      store.update('/e/k005', { i: 5 }, k5!.modRevision),
      store.create('/e/k007', { i: 7 }),
      store.create('/e/gone', { i: 1 }),
      store.delete('/e/gone'), // the batch's later writes see its earlier ones
      store.create('/other/y', { i: 0 }),
    ];
    await new Promise((resolve) => setImmediate(resolve));
    let counted = 0;
    const runs = await countAtRuns(store, async () => {
      counted = await store.count('/e/');
    });
    assert.equal(counted, 199, 'the published state: 200 created, k007 deleted');
    assert.equal(runs, 0, 'the count did not group the range\'s history');
    assert.equal(await store.count('/other/'), 1);
    openGate!();
    await Promise.all(pending);
    assert.equal(await store.count('/e/'), 199 + 1 - 1 + 1);
  } finally {
    WalSync.prototype.sync = realSync;
    openGate?.();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a continued page\'s remainingItemCount: the rest of the range as of the list\'s revision, without reading its history', async () => {
  const store = openSqliteStore({ path: ':memory:', durability: 'normal' });
  try {
    const keys = Array.from({ length: 50 }, (_, i) => `/e/k${String(i).padStart(2, '0')}`);
    for (const k of keys) await store.create(k, { k });
    const first = await store.list('/e/', { limit: 10 });
    assert.equal(first.remainingItemCount, 40);
    // Writes after the list's revision, before and after the page's end, and a key deleted and re-created.
    await store.delete('/e/k03');
    await store.delete('/e/k30');
    await store.create('/e/k30', { k: 'again' });
    await store.delete('/e/k40');
    await store.create('/e/k99', { k: 'new' });
    await store.create('/f/x', {});
    let second: Awaited<ReturnType<typeof store.list>> | undefined;
    const runs = await countAtRuns(store, async () => {
      second = await store.list('/e/', { limit: 10, continue: first.continue });
    });
    assert.deepEqual(second!.items.map((i) => i.key), keys.slice(10, 20));
    assert.equal(second!.remainingItemCount, 30, 'as of the first page\'s revision');
    assert.equal(runs, 0);
    // Ground truth at that revision: the rest of the list, page by page.
    const rest: string[] = [];
    let cont = second!.continue;
    while (cont) {
      const p = await store.list('/e/', { limit: 7, continue: cont });
      rest.push(...p.items.map((i) => i.key));
      if (p.continue) assert.equal(p.remainingItemCount, keys.length - 20 - rest.length);
      cont = p.continue;
    }
    assert.deepEqual(rest, keys.slice(20));
  } finally {
    await store.close();
  }
});

test('the keys written after a revision are found by revision (the log\'s rowid), not by walking the key index', () => {
  const db = new Database(':memory:');
  try {
    createSchema(db);
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${prepareStatements(db).keysWrittenAfter.source}`).all(5, '/e/', NO_END) as Array<{ detail: string }>;
    const details = plan.map((r) => r.detail);
    assert.ok(details.some((d) => /SEARCH log USING INTEGER PRIMARY KEY \(rowid>\?\)/.test(d)), details.join(' | '));
    assert.ok(!details.some((d) => /SCAN log/.test(d)), details.join(' | '));
  } finally {
    db.close();
  }
});

test('the count as of a revision equals the range history\'s, over random writes, deletes, re-creates and a compaction', async () => {
  const store = openSqliteStore({ path: ':memory:', durability: 'normal' });
  type Internals = { countAsOf(start: string, end: unknown, rev: number): number; stmts: { countAt: { get(s: string, e: unknown, r: number): { n: number } | undefined } } };
  const inner = store as unknown as Internals;
  let seed = 12345;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  try {
    const revisions: number[] = [];
    for (let i = 0; i < 600; i++) {
      const key = `/${'ab'[rand(2)]}/k${rand(40)}`;
      const cur = await store.get(key);
      const o = cur === undefined ? await store.create(key, { i }) : rand(3) === 0 ? await store.delete(key) : await store.update(key, { i }, cur.modRevision);
      revisions.push(o.modRevision);
      if (i === 300) await store.compact(o.modRevision);
    }
    const compacted = store.compactedRevision();
    let checked = 0;
    for (const rev of revisions.filter((r) => r >= compacted)) {
      for (const [start, end] of [['/a/', '/a0'], ['/b/k1', '/b/k2'], ['/', '0'], ['/a/k2', '/a0']] as const) {
        assert.equal(inner.countAsOf(start, end, rev), inner.stmts.countAt.get(start, end, rev)?.n ?? 0, `${start}..${end} at ${rev}`);
        checked++;
      }
    }
    assert.ok(checked > 1000);
  } finally {
    await store.close();
  }
});
