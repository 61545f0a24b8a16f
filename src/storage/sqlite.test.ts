import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from './sqlite.ts';
import { WalSync } from './wal-sync.ts';
import { StorageError } from './types.ts';
import type { Store, WatchEvent } from './types.ts';

const code = (c: string) => (e: unknown) => e instanceof StorageError && e.code === c;

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-sqlite-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function recordingStore(): { store: Store; commits: Array<{ writes: number; revision: number }> } {
  const commits: Array<{ writes: number; revision: number }> = [];
  return { store: openSqliteStore({ path: ':memory:', onCommit: (c) => commits.push(c) }), commits };
}

describe('sqlite group commit', () => {
  test('writes issued in one tick share one commit, each with its own revision in issue order', async () => {
    const { store, commits } = recordingStore();
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.create(`/g/${i}`, { i })));
    assert.deepEqual(results.map((r) => r.modRevision), Array.from({ length: 50 }, (_, i) => i + 1));
    assert.deepEqual(commits, [{ writes: 50, revision: 50 }]);
    await store.create('/g/later', {});
    assert.deepEqual(commits.at(-1), { writes: 1, revision: 51 });
    await store.close();
  });

  test('a failing write fails alone; later writes of the batch see earlier ones', async () => {
    const { store, commits } = recordingStore();
    const b = await store.create('/b', { v: 0 });
    commits.length = 0;
    const outcomes = await Promise.allSettled([
      store.create('/a', { v: 1 }),
      store.create('/a', { v: 2 }),
      store.update('/b', { v: 9 }, b.modRevision - 1),
      store.update('/a', { v: 3 }, b.modRevision + 1),
      store.delete('/missing'),
      store.delete('/b', b.modRevision),
    ]);
    assert.deepEqual(
      outcomes.map((o) => (o.status === 'fulfilled' ? o.value.modRevision : (o.reason as StorageError).code)),
      [2, 'KeyExists', 'Conflict', 3, 'NotFound', 4],
    );
    assert.deepEqual(commits, [{ writes: 3, revision: 4 }]);
    assert.deepEqual((await store.get('/a'))?.value, { v: 3 });
    assert.equal(await store.get('/b'), undefined);
    await store.close();
  });

  test('a value that is not JSON rejects that write only', async () => {
    const { store } = recordingStore();
    const [bad, good] = await Promise.allSettled([store.create('/x', undefined), store.create('/y', 1)]);
    assert.equal(bad.status, 'rejected');
    assert.ok(code('Internal')((bad as PromiseRejectedResult).reason));
    assert.equal(good.status, 'fulfilled');
    await assert.rejects(store.create('', {}), code('Internal'));
    await store.close();
  });
});

describe('sqlite file', () => {
  test('writes that arrive while a WAL sync runs wait for it and then commit together', () =>
    withDir(async (dir) => {
      const commits: number[] = [];
      const store = openSqliteStore({ path: join(dir, 'state.db'), onCommit: (c) => commits.push(c.writes) });
      let openGate!: () => void;
      const gate = new Promise<void>((resolve) => (openGate = resolve));
      const realSync = WalSync.prototype.sync;
      WalSync.prototype.sync = async function (this: WalSync) {
        await gate;
        return realSync.call(this);
      };
      try {
        const turn = () => new Promise((resolve) => setImmediate(resolve));
        const first = store.create('/a', {});
        await turn(); // committed; its sync is held at the gate
        const later = [store.create('/b', {})];
        await turn();
        later.push(store.create('/c', {}));
        await turn();
        later.push(store.update('/b', { v: 2 }, 2));
        await turn();
        assert.deepEqual(commits, [], 'nothing is published before its sync');
        openGate();
        assert.equal((await first).modRevision, 1);
        assert.deepEqual((await Promise.all(later)).map((o) => o.modRevision), [2, 3, 4]);
        assert.deepEqual(commits, [1, 3], 'the three writes queued during the sync share one commit');
        assert.ok(store.durabilityInfo().walSyncs >= 2);
      } finally {
        WalSync.prototype.sync = realSync;
        openGate();
        await store.close();
      }
    }));

  test('while a commit waits for its WAL sync, reads of one key see the last synced state (getAt)', () =>
    withDir(async (dir) => {
      const store = openSqliteStore({ path: join(dir, 'state.db') });
      const realSync = WalSync.prototype.sync;
      let openGate!: () => void;
      try {
        await store.create('/a', { v: 1 });
        await store.create('/b', { v: 1 });
        await store.update('/a', { v: 2 }, 1);
        const gate = new Promise<void>((resolve) => (openGate = resolve));
        WalSync.prototype.sync = async function (this: WalSync) {
          await gate;
          return realSync.call(this);
        };
        const pending = [store.update('/a', { v: 3 }, 3), store.delete('/b'), store.create('/c', { v: 1 })];
        await new Promise((resolve) => setImmediate(resolve)); // written, its sync held at the gate
        assert.deepEqual(await store.get('/a'), { key: '/a', value: { v: 2 }, createRevision: 1, modRevision: 3 });
        assert.deepEqual(await store.get('/b'), { key: '/b', value: { v: 1 }, createRevision: 2, modRevision: 2 });
        assert.equal(await store.get('/c'), undefined);
        assert.equal(await store.get('/nope'), undefined);
        openGate();
        await Promise.all(pending);
        assert.deepEqual(await store.get('/a'), { key: '/a', value: { v: 3 }, createRevision: 1, modRevision: 4 });
        assert.equal(await store.get('/b'), undefined);
        assert.equal((await store.get('/c'))?.modRevision, 6);
      } finally {
        WalSync.prototype.sync = realSync;
        openGate?.();
        await store.close();
      }
    }));

  test('a second open of the same file fails while the first holds it', () =>
    withDir(async (dir) => {
      const path = join(dir, 'state.db');
      const first = openSqliteStore({ path });
      await first.create('/a', {});
      assert.throws(() => openSqliteStore({ path }), /locked|busy/i);
      await first.close();
      const again = openSqliteStore({ path });
      assert.equal(again.currentRevision(), 1);
      await again.close();
    }));

  test('the revision survives a restart even when compaction dropped the newest log row', () =>
    withDir(async (dir) => {
      const path = join(dir, 'state.db');
      const s1 = openSqliteStore({ path });
      await s1.create('/a', {});
      await s1.delete('/a');
      await s1.compact(2);
      await s1.close();
      const raw = new Database(path, { readonly: true });
      assert.equal((raw.prepare('SELECT count(*) AS n FROM log').get() as { n: number }).n, 0);
      raw.close();
      const s2 = openSqliteStore({ path });
      assert.deepEqual([s2.currentRevision(), s2.compactedRevision()], [2, 2]);
      assert.equal((await s2.create('/b', {})).modRevision, 3);
      await s2.close();
    }));

  test('chunked compaction keeps every intermediate read correct and leaves only live rows', () =>
    withDir(async (dir) => {
      const path = join(dir, 'state.db');
      const s = openSqliteStore({ path, compactChunk: 3 });
      // 20 keys, each updated once; the odd ones deleted: 50 log rows, 10 live keys.
      const created = await Promise.all(Array.from({ length: 20 }, (_, i) => s.create(`/k/${String(i).padStart(2, '0')}`, { i, gen: 0 })));
      await Promise.all(created.map((o) => s.update(o.key, { i: (o.value as { i: number }).i, gen: 1 }, o.modRevision)));
      await Promise.all(created.filter((_, i) => i % 2 === 1).map((o) => s.delete(o.key)));
      const live = created.filter((_, i) => i % 2 === 0).map((o) => o.key);
      const rev = s.currentRevision();
      let done = false;
      const compaction = s.compact(rev).then(() => (done = true));
      let reads = 0;
      while (!done) {
        const atC = await s.list<{ gen: number }>('/k/', { atRevision: rev });
        assert.deepEqual(atC.items.map((o) => o.key), live);
        assert.ok(atC.items.every((o) => o.value.gen === 1));
        reads++;
        await new Promise((resolve) => setImmediate(resolve));
      }
      await compaction;
      assert.ok(reads > 1, 'reads interleaved with the compaction chunks');
      await s.close();
      const raw = new Database(path, { readonly: true });
      const rows = raw.prepare('SELECT key FROM log ORDER BY key').all() as Array<{ key: string }>;
      raw.close();
      assert.deepEqual(rows.map((r) => r.key), live);
    }));
});

describe('sqlite watch delivery', () => {
  test('delivery is asynchronous and a throwing handler only ends its own watch', async () => {
    const { store } = recordingStore();
    await store.create('/w/a', {});
    const seen: string[] = [];
    let failure: Error | undefined;
    const bad = store.watch('/w/', 0, {
      onEvent: () => {
        throw new Error('handler bug');
      },
      onError: (e) => (failure = e),
    });
    const good = store.watch('/w/', 0, { onEvent: (e: WatchEvent) => seen.push(e.key) });
    assert.deepEqual(seen, [], 'catch-up is not delivered inside watch()');
    await store.create('/w/b', {});
    await store.create('/w/c', {});
    assert.deepEqual(seen, ['/w/a', '/w/b', '/w/c']);
    assert.equal(failure?.message, 'handler bug');
    bad.close();
    good.close();
    await store.close();
  });

  test('a written value is parsed once: the writer and every live watcher share one frozen object', async () => {
    const { store } = recordingStore();
    const seen: WatchEvent[] = [];
    const w1 = store.watch('/s/', 0, { onEvent: (e: WatchEvent) => seen.push(e) });
    const w2 = store.watch('/s/', 0, { onEvent: (e: WatchEvent) => seen.push(e) });
    const created = await store.create('/s/a', { spec: { n: [1] } });
    const updated = await store.update('/s/a', { spec: { n: [2] } }, created.modRevision);
    const deleted = await store.delete('/s/a');
    assert.equal(seen.length, 6);
    const [c1, c2, u1, u2, d1, d2] = seen as [WatchEvent, WatchEvent, WatchEvent, WatchEvent, WatchEvent, WatchEvent];
    assert.ok(c1.value === created.value && c2.value === created.value, 'ADDED carries the writer\'s object');
    assert.ok(u1.value === updated.value && u2.value === updated.value, 'MODIFIED carries the writer\'s object');
    assert.ok(d1.value === deleted.value && d2.value === deleted.value && d1.prevValue === deleted.value, 'DELETED too');
    assert.ok(Object.isFrozen(created.value) && Object.isFrozen((created.value as { spec: { n: number[] } }).spec.n));
    // Sizes come from the stored text, not from serialising the object again.
    assert.equal(c1.size, JSON.stringify({ spec: { n: [1] } }).length);
    assert.equal(d1.size, JSON.stringify({ spec: { n: [2] } }).length);
    w1.close();
    w2.close();
    await store.close();
  });

  test('the shared value is what the stored text parses to, whether copied or parsed; the caller may change its object after the call', async () => {
    const { store } = recordingStore();
    const seen: WatchEvent[] = [];
    const w = store.watch('/j/', 0, { onEvent: (e: WatchEvent) => seen.push(e) });
    const plain: Record<string, unknown> = { b: 1, '1': 'one', gone: undefined, z: -0, spec: { list: [{ a: 'x' }] } };
    const odd = { when: new Date(0), n: NaN, list: [undefined, 1] };
    const written = await Promise.all([store.create('/j/plain', plain), store.create('/j/odd', odd)]);
    (plain.spec as { list: unknown[] }).list.push('later');
    for (const [i, v] of [plain, odd].entries()) {
      const want = JSON.parse(JSON.stringify(i === 0 ? { b: 1, '1': 'one', z: 0, spec: { list: [{ a: 'x' }] } } : v));
      const got = written[i]!.value;
      assert.deepStrictEqual(got, want);
      assert.equal(JSON.stringify(got), JSON.stringify(want));
      assert.ok(Object.isFrozen(got));
      assert.deepStrictEqual((await store.get(written[i]!.key))!.value, want);
    }
    const updated = await store.update('/j/plain', { spec: { list: [] } }, written[0]!.modRevision);
    assert.equal(seen.length, 3);
    assert.equal(seen[2]!.value, updated.value);
    assert.deepStrictEqual(seen[2]!.prevValue, written[0]!.value, 'the previous value, parsed when read');
    w.close();
    await store.close();
  });
});
