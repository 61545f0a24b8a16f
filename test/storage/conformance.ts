/**
 * The one conformance suite every Store passes (SQLite, SQLite behind the watch cache, etcd).
 *
 * Each test opens a fresh store in a fresh directory. Assertions use revisions relative to the
 * store's revision at the start of the test, so a backend whose empty state is not revision 0
 * (etcd starts at 1) passes too. Completion of a watch is detected by counting events and by a
 * sentinel write (a watcher that saw the sentinel has seen everything before it), never by time.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StorageError } from '../../src/storage/types.ts';
import type { StorageErrorCode, Store, StoredObject, Watcher, WatchEvent } from '../../src/storage/types.ts';

export interface ConformanceOptions {
  /** The backend keeps its data across close() and open(dir) of the same directory. */
  reopen: boolean;
}

type Open = (dir: string) => Promise<Store>;

export function isStorageError(code: StorageErrorCode): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof StorageError, `expected StorageError ${code}, got ${String(err)}`);
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
    return true;
  };
}

export interface Collector {
  events: WatchEvent[];
  watcher: Watcher;
  /** Resolves once `n` events in total have arrived; rejects on the watch's onError. */
  until(n: number): Promise<WatchEvent[]>;
  /** The error passed to onError, once it has been. */
  error: Promise<Error>;
}

export function collect(store: Store, prefix: string, fromRevision: number): Collector {
  const events: WatchEvent[] = [];
  const pending: Array<{ n: number; resolve: (e: WatchEvent[]) => void; reject: (e: Error) => void }> = [];
  let failed: Error | undefined;
  let onFail: (e: Error) => void = () => {};
  const error = new Promise<Error>((resolve) => (onFail = resolve));
  const watcher = store.watch(prefix, fromRevision, {
    onEvent(e) {
      events.push(e);
      for (const p of pending.filter((x) => events.length >= x.n)) p.resolve(events.slice());
    },
    onError(err) {
      failed = err;
      onFail(err);
      for (const p of pending) p.reject(err);
    },
  });
  return {
    events,
    watcher,
    error,
    until(n) {
      if (events.length >= n) return Promise.resolve(events.slice());
      if (failed) return Promise.reject(failed);
      return new Promise((resolve, reject) => pending.push({ n, resolve, reject }));
    },
  };
}

function summary(events: WatchEvent[]): string[] {
  return events.map((e) => `${e.type} ${e.key} @${e.revision}`);
}

function keysOf(items: StoredObject[]): string[] {
  return items.map((i) => i.key);
}

async function listAll(store: Store, prefix: string): Promise<string[]> {
  return keysOf((await store.list(prefix)).items);
}

export function runStoreConformance(name: string, open: Open, opts: ConformanceOptions): void {
  async function withStore(fn: (s: Store, dir: string) => Promise<void>): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-store-'));
    const store = await open(dir);
    try {
      await fn(store, dir);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  }

  // Per test, so a hung watch fails its own test instead of cancelling the whole suite.
  const t = (title: string, fn: () => Promise<void>) => test(title, { timeout: 10_000 }, fn);

  describe(`Store conformance: ${name}`, () => {
    t('every write advances the revision by exactly one', () =>
      withStore(async (s) => {
        const r0 = s.currentRevision();
        const a = await s.create('/r/a', { n: 1 });
        assert.deepEqual(a, { key: '/r/a', value: { n: 1 }, createRevision: r0 + 1, modRevision: r0 + 1 });
        const b = await s.create('/r/b', { n: 2 });
        assert.equal(b.modRevision, r0 + 2);
        const a2 = await s.update('/r/a', { n: 3 }, a.modRevision);
        assert.deepEqual(a2, { key: '/r/a', value: { n: 3 }, createRevision: r0 + 1, modRevision: r0 + 3 });
        const gone = await s.delete('/r/b');
        assert.deepEqual(gone, { key: '/r/b', value: { n: 2 }, createRevision: r0 + 2, modRevision: r0 + 4 });
        assert.equal(s.currentRevision(), r0 + 4);
        assert.deepEqual(await s.get('/r/a'), a2);
      }));

    t('failed writes are typed errors and consume no revision', () =>
      withStore(async (s) => {
        const live = await s.create('/e/live', { v: 1 });
        await s.update('/e/live', { v: 2 }, live.modRevision);
        const before = s.currentRevision();
        const cases: Array<[string, () => Promise<unknown>, StorageErrorCode]> = [
          ['create on an existing key', () => s.create('/e/live', { v: 9 }), 'KeyExists'],
          ['update with a stale revision', () => s.update('/e/live', { v: 9 }, live.modRevision), 'Conflict'],
          ['update of a missing key', () => s.update('/e/missing', { v: 9 }, live.modRevision), 'NotFound'],
          ['delete of a missing key', () => s.delete('/e/missing'), 'NotFound'],
          ['delete with a stale revision', () => s.delete('/e/live', live.modRevision), 'Conflict'],
        ];
        for (const [what, write, code] of cases) {
          await assert.rejects(write(), isStorageError(code), what);
        }
        assert.equal(s.currentRevision(), before);
        assert.deepEqual((await s.get('/e/live'))?.value, { v: 2 });
      }));

    t('delete with the current expectedRevision; reads after delete; re-create', () =>
      withStore(async (s) => {
        const a = await s.create('/d/a', { v: 1 });
        const d = await s.delete('/d/a', a.modRevision);
        assert.equal(d.modRevision, a.modRevision + 1);
        assert.equal(d.createRevision, a.createRevision);
        assert.equal(await s.get('/d/a'), undefined);
        assert.deepEqual(await listAll(s, '/d/'), []);
        assert.equal(await s.count('/d/'), 0);
        const again = await s.create('/d/a', { v: 2 });
        assert.equal(again.createRevision, again.modRevision, 'a new incarnation has its own createRevision');
        assert.ok(again.createRevision > d.modRevision);
      }));

    t('values round-trip and callers cannot mutate stored state', () =>
      withStore(async (s) => {
        const value = { s: 'ünïcödé 😀', n: [1, 2.5, -3], o: { nested: { t: true, f: null } }, e: '' };
        const created = await s.create('/v/x', value);
        value.s = 'changed after create';
        // A store may hand out copies or frozen shared values; either way the stored state holds.
        try {
          created.value.n.push(99);
        } catch {
          /* frozen */
        }
        const got = await s.get<typeof value>('/v/x');
        assert.deepEqual(got?.value, { s: 'ünïcödé 😀', n: [1, 2.5, -3], o: { nested: { t: true, f: null } }, e: '' });
        try {
          got!.value.o.nested.t = false;
        } catch {
          /* frozen */
        }
        assert.equal((await s.get<typeof value>('/v/x'))?.value.o.nested.t, true);
      }));

    t('list: prefixes are used as given, keys in code point order', () =>
      withStore(async (s) => {
        const keys = ['/a/bc/1', '/b/1', '/a/b/2', '/a/b', '/a/c/1', '/a/b/1', '/u/😀', '/u/～', '/u/é'];
        for (const k of keys) await s.create(k, { k });
        const cases: Array<[string, string[]]> = [
          ['/a/b/', ['/a/b/1', '/a/b/2']],
          ['/a/b', ['/a/b', '/a/b/1', '/a/b/2', '/a/bc/1']],
          ['/a/', ['/a/b', '/a/b/1', '/a/b/2', '/a/bc/1', '/a/c/1']],
          ['/u/', ['/u/é', '/u/～', '/u/😀']], // UTF-8 byte order, not UTF-16 unit order
          ['/z/', []],
          ['', ['/a/b', '/a/b/1', '/a/b/2', '/a/bc/1', '/a/c/1', '/b/1', '/u/é', '/u/～', '/u/😀']],
        ];
        for (const [prefix, want] of cases) {
          assert.deepEqual(await listAll(s, prefix), want, `list ${JSON.stringify(prefix)}`);
          assert.equal(await s.count(prefix), want.length, `count ${JSON.stringify(prefix)}`);
        }
        const one = await s.list('/a/b/');
        assert.equal(one.revision, s.currentRevision());
        assert.equal(one.continue, undefined);
        assert.equal(one.remainingItemCount, undefined);
      }));

    t('pagination yields the first page snapshot exactly once while writes interleave', () =>
      withStore(async (s) => {
        const names = Array.from({ length: 25 }, (_, i) => `/p/k${String(i).padStart(2, '0')}`);
        for (const k of names) await s.create(k, { k, gen: 0 });
        await s.create('/pz', { outside: true });
        const seen: StoredObject<{ k: string; gen: number }>[] = [];
        const remaining: Array<number | undefined> = [];
        let token: string | undefined;
        let snapshot: number | undefined;
        let page = 0;
        do {
          const res = await s.list<{ k: string; gen: number }>('/p/', { limit: 7, continue: token });
          snapshot ??= res.revision;
          assert.equal(res.revision, snapshot, 'every page reads the first page revision');
          seen.push(...res.items);
          remaining.push(res.remainingItemCount);
          token = res.continue;
          // Writes between pages must not show up in, or shift, later pages.
          page++;
          await s.create(`/p/k0${page}a`, { k: 'new', gen: page });
          const k10 = await s.get('/p/k10');
          if (k10) await s.update('/p/k10', { k: '/p/k10', gen: page }, k10.modRevision);
          await s.delete(`/p/k${20 + page}`);
        } while (token);
        assert.deepEqual(keysOf(seen), names);
        assert.ok(seen.every((o) => o.value.gen === 0), 'values as of the snapshot');
        assert.deepEqual(remaining, [18, 11, 4, undefined]);
        // The current state reflects the interleaved writes.
        assert.equal(await s.get('/p/k21'), undefined);
        assert.equal((await s.get<{ gen: number }>('/p/k10'))?.value.gen, 4);
      }));

    t('limit equal to the number of items gives no continue', () =>
      withStore(async (s) => {
        for (const k of ['/l/1', '/l/2', '/l/3']) await s.create(k, {});
        const res = await s.list('/l/', { limit: 3 });
        assert.equal(res.items.length, 3);
        assert.equal(res.continue, undefined);
        const two = await s.list('/l/', { limit: 2 });
        assert.equal(two.remainingItemCount, 1);
        const last = await s.list('/l/', { limit: 2, continue: two.continue });
        assert.deepEqual(keysOf(last.items), ['/l/3']);
        assert.equal(last.continue, undefined);
      }));

    t('list with a predicate: limit counts matches, pages resume after the last key examined', () =>
      withStore(async (s) => {
        const key = (i: number) => `/q/${String(i).padStart(2, '0')}`;
        await Promise.all(Array.from({ length: 20 }, (_, i) => s.create(key(i), { i, even: i % 2 === 0 })));
        const even = (v: unknown) => (v as { even: boolean }).even;
        const evens = Array.from({ length: 10 }, (_, i) => key(2 * i));
        assert.deepEqual(await listAll(s, '/q/').then((k) => k.length), 20);
        assert.deepEqual(keysOf((await s.list('/q/', { predicate: even })).items), evens);

        const pages: string[][] = [];
        let token: string | undefined;
        do {
          const res = await s.list('/q/', { limit: 3, continue: token, predicate: even });
          pages.push(keysOf(res.items));
          assert.equal(res.remainingItemCount, undefined, 'no count when a predicate filters');
          token = res.continue;
        } while (token);
        assert.deepEqual(pages.map((p) => p.length), [3, 3, 3, 1]);
        assert.deepEqual(pages.flat(), evens);

        const none = await s.list('/q/', { limit: 5, predicate: () => false });
        assert.deepEqual([none.items, none.continue], [[], undefined]);

        const before = s.currentRevision();
        const zero = (await s.get('/q/00'))!;
        await s.update('/q/00', { i: 0, even: false }, zero.modRevision);
        assert.equal((await s.list('/q/', { predicate: even })).items.length, 9);
        assert.equal((await s.list('/q/', { predicate: even, atRevision: before })).items.length, 10);
      }));

    t('list atRevision shows the state of that revision', () =>
      withStore(async (s) => {
        const r0 = s.currentRevision();
        const a1 = await s.create('/h/a', { v: 1 });
        const a2 = await s.update('/h/a', { v: 2 }, a1.modRevision);
        const b = await s.create('/h/b', { v: 'b' });
        await s.delete('/h/a');
        await s.create('/h/c', { v: 'c' });
        const cases: Array<[number, Array<[string, unknown, number]>]> = [
          [r0, []],
          [r0 + 1, [['/h/a', { v: 1 }, a1.modRevision]]],
          [r0 + 2, [['/h/a', { v: 2 }, a2.modRevision]]],
          [r0 + 3, [['/h/a', { v: 2 }, a2.modRevision], ['/h/b', { v: 'b' }, b.modRevision]]],
          [r0 + 4, [['/h/b', { v: 'b' }, b.modRevision]]],
          [r0 + 5, [['/h/b', { v: 'b' }, b.modRevision], ['/h/c', { v: 'c' }, r0 + 5]]],
        ];
        for (const [rev, want] of cases) {
          const res = await s.list('/h/', { atRevision: rev });
          assert.equal(res.revision, rev);
          assert.deepEqual(res.items.map((i) => [i.key, i.value, i.modRevision]), want, `at ${rev}`);
        }
        // Pagination at an old revision.
        const p1 = await s.list('/h/', { atRevision: r0 + 3, limit: 1 });
        assert.deepEqual(keysOf(p1.items), ['/h/a']);
        assert.equal(p1.remainingItemCount, 1);
        const p2 = await s.list('/h/', { limit: 1, continue: p1.continue });
        assert.equal(p2.revision, r0 + 3);
        assert.deepEqual(keysOf(p2.items), ['/h/b']);
        const current = s.currentRevision();
        await assert.rejects(s.list('/h/', { atRevision: current + 1 }), (err: unknown) => {
          isStorageError('FutureRevision')(err);
          // Both revisions travel with the error: the API's 504 names them as upstream does.
          assert.deepEqual([(err as StorageError).requestedRevision, (err as StorageError).revision], [current + 1, current]);
          return true;
        });
      }));

    t('malformed continue tokens are InvalidContinue', () =>
      withStore(async (s) => {
        await s.create('/i/a', {});
        const b64 = (x: string) => Buffer.from(x).toString('base64url');
        const tokens = ['!!!', 'not a token', b64('not json'), b64('[]'), b64('{}'), b64('"x"'), b64('{"v":"meta.k8s.io/v1","rv":-1,"start":"a"}')];
        for (const t of tokens) {
          await assert.rejects(s.list('/i/', { continue: t }), isStorageError('InvalidContinue'), t);
        }
      }));

    t('100 concurrent writers: exactly one wins each round', () =>
      withStore(async (s) => {
        const creates = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => s.create('/c/x', { writer: i })));
        assert.equal(creates.filter((r) => r.status === 'fulfilled').length, 1);
        for (const r of creates) if (r.status === 'rejected') isStorageError('KeyExists')(r.reason);

        let current = (await s.get('/c/x'))!;
        for (let round = 0; round < 5; round++) {
          const before = s.currentRevision();
          const results = await Promise.allSettled(
            Array.from({ length: 100 }, (_, i) => s.update('/c/x', { round, writer: i }, current.modRevision)),
          );
          const won = results.filter((r) => r.status === 'fulfilled');
          assert.equal(won.length, 1, `round ${round}`);
          for (const r of results) if (r.status === 'rejected') isStorageError('Conflict')(r.reason);
          assert.equal(s.currentRevision(), before + 1);
          current = (await s.get('/c/x'))!;
          assert.deepEqual(current, (won[0] as PromiseFulfilledResult<StoredObject>).value);
        }

        const r0 = s.currentRevision();
        const distinct = await Promise.all(Array.from({ length: 100 }, (_, i) => s.create(`/c/k${i}`, { i })));
        const revs = distinct.map((o) => o.modRevision).sort((x, y) => x - y);
        assert.deepEqual(revs, Array.from({ length: 100 }, (_, i) => r0 + 1 + i));
        assert.equal(await s.count('/c/k'), 100);
      }));

    t('watch replays every change after fromRevision in order, then continues live', () =>
      withStore(async (s) => {
        const r0 = s.currentRevision();
        const a = await s.create('/w/a', { v: 1 });
        await s.update('/w/a', { v: 2 }, a.modRevision);
        await s.create('/w/b', { v: 'b' });
        await s.delete('/w/a');
        const c = collect(s, '/w/', r0);
        await c.until(4);
        const b = (await s.get('/w/b'))!;
        await s.update('/w/b', { v: 'b2' }, b.modRevision);
        await s.create('/w/c', { v: 'c' });
        const events = await c.until(6);
        c.watcher.close();
        assert.deepEqual(
          events.map((e) => [e.type, e.key, e.revision, e.createRevision, e.value, e.prevValue]),
          [
            ['ADDED', '/w/a', r0 + 1, r0 + 1, { v: 1 }, undefined],
            ['MODIFIED', '/w/a', r0 + 2, r0 + 1, { v: 2 }, { v: 1 }],
            ['ADDED', '/w/b', r0 + 3, r0 + 3, { v: 'b' }, undefined],
            ['DELETED', '/w/a', r0 + 4, r0 + 1, { v: 2 }, { v: 2 }],
            ['MODIFIED', '/w/b', r0 + 5, r0 + 3, { v: 'b2' }, { v: 'b' }],
            ['ADDED', '/w/c', r0 + 6, r0 + 6, { v: 'c' }, undefined],
          ],
        );
        const late = collect(s, '/w/', r0 + 4);
        assert.deepEqual(summary(await late.until(2)), [`MODIFIED /w/b @${r0 + 5}`, `ADDED /w/c @${r0 + 6}`]);
        late.watcher.close();
      }));

    t('watch started during concurrent writes has no gaps and no duplicates', () =>
      withStore(async (s) => {
        const r0 = s.currentRevision();
        const writes: Promise<StoredObject>[] = [];
        let fromStart: Collector | undefined;
        let midway: Collector | undefined;
        let midFrom = 0;
        for (let burst = 0; burst < 10; burst++) {
          for (let i = 0; i < 20; i++) writes.push(s.create(`/g/${burst}-${i}`, { burst, i }));
          if (burst === 3) {
            await writes[writes.length - 30]; // some committed, some in flight
            fromStart = collect(s, '/g/', r0);
          }
          if (burst === 6) {
            await writes[writes.length - 25];
            midFrom = s.currentRevision();
            midway = collect(s, '/g/', midFrom);
          }
        }
        await Promise.all(writes);
        const end = r0 + 200;
        assert.equal(s.currentRevision(), end);
        const all = await fromStart!.until(200);
        assert.deepEqual(all.map((e) => e.revision), Array.from({ length: 200 }, (_, i) => r0 + 1 + i));
        const tail = await midway!.until(end - midFrom);
        assert.deepEqual(tail.map((e) => e.revision), Array.from({ length: end - midFrom }, (_, i) => midFrom + 1 + i));
        // A sentinel proves nothing else was queued behind the counted events.
        await s.create('/g/zz-sentinel', {});
        assert.equal((await fromStart!.until(201)).length, 201);
        assert.equal(fromStart!.events.at(-1)?.key, '/g/zz-sentinel');
        fromStart!.watcher.close();
        midway!.watcher.close();
      }));

    t('watch filters by prefix as given', () =>
      withStore(async (s) => {
        const r0 = s.currentRevision();
        const slash = collect(s, '/f/a/', r0);
        const bare = collect(s, '/f/a', r0);
        for (const k of ['/f/a/1', '/f/ab/1', '/f/b/1', '/f/a', '/f/a/2']) await s.create(k, {});
        await s.create('/f/a/zz', {}); // sentinel for both
        assert.deepEqual((await slash.until(3)).map((e) => e.key), ['/f/a/1', '/f/a/2', '/f/a/zz']);
        assert.deepEqual((await bare.until(5)).map((e) => e.key), ['/f/a/1', '/f/ab/1', '/f/a', '/f/a/2', '/f/a/zz']);
        slash.watcher.close();
        bare.watcher.close();
      }));

    t('watch from a revision ahead delivers only later events; close stops delivery', () =>
      withStore(async (s) => {
        const r0 = s.currentRevision();
        const ahead = collect(s, '/a/', r0 + 2);
        const closed = collect(s, '/a/', r0);
        closed.watcher.close();
        closed.watcher.close(); // idempotent
        for (const k of ['/a/1', '/a/2', '/a/3']) await s.create(k, {});
        assert.deepEqual(summary(await ahead.until(1)), [`ADDED /a/3 @${r0 + 3}`]);
        const witness = collect(s, '/a/', r0);
        await witness.until(3);
        assert.deepEqual(closed.events, []);
        ahead.watcher.close();
        witness.watcher.close();
      }));

    t('compaction: old revisions are Compacted, live data and later history remain', () =>
      withStore(async (s) => {
        const r0 = s.currentRevision();
        const k1 = await s.create('/k/1', { v: 1 }); // r0+1
        await s.update('/k/1', { v: 2 }, k1.modRevision); // r0+2
        const k2 = await s.create('/k/2', { v: 1 }); // r0+3
        await s.delete('/k/2', k2.modRevision); // r0+4
        const k3 = await s.create('/k/3', { v: 1 }); // r0+5
        const oldPage = await s.list('/k/', { limit: 1, atRevision: r0 + 3 });
        assert.ok(oldPage.continue);
        await s.update('/k/3', { v: 2 }, k3.modRevision); // r0+6
        await s.create('/k/4', { v: 1 }); // r0+7
        const at = r0 + 6;
        await s.compact(at);
        assert.equal(s.compactedRevision(), at);

        await assert.rejects(s.list('/k/', { atRevision: at - 1 }), isStorageError('Compacted'));
        await assert.rejects(s.list('/k/', { limit: 1, continue: oldPage.continue }), isStorageError('Compacted'));
        assert.throws(() => s.watch('/k/', at - 1, { onEvent() {} }), isStorageError('Compacted'));

        const atC = await s.list('/k/', { atRevision: at });
        assert.deepEqual(atC.items.map((i) => [i.key, i.value]), [['/k/1', { v: 2 }], ['/k/3', { v: 2 }]]);
        assert.deepEqual(
          (await s.list('/k/')).items.map((i) => [i.key, i.value]),
          [['/k/1', { v: 2 }], ['/k/3', { v: 2 }], ['/k/4', { v: 1 }]],
        );
        assert.equal((await s.get('/k/1'))?.createRevision, r0 + 1);
        const w = collect(s, '/k/', at);
        assert.deepEqual(summary(await w.until(1)), [`ADDED /k/4 @${r0 + 7}`]);
        const k1now = (await s.get('/k/1'))!;
        await s.update('/k/1', { v: 3 }, k1now.modRevision);
        const [, mod] = await w.until(2);
        assert.deepEqual([mod.type, mod.prevValue, mod.createRevision], ['MODIFIED', { v: 2 }, r0 + 1]);
        w.watcher.close();

        await s.compact(at - 2); // older than the compacted revision: nothing to do
        assert.equal(s.compactedRevision(), at);
        await assert.rejects(s.compact(s.currentRevision() + 1), isStorageError('FutureRevision'));
        await s.compact(s.currentRevision());
        assert.deepEqual(await listAll(s, '/k/'), ['/k/1', '/k/3', '/k/4']);
        assert.deepEqual((await s.list('/k/', { atRevision: s.currentRevision() })).items.length, 3);
      }));

    t('closing: operations fail with Closed, open watches get onError', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'portcullis-store-'));
      try {
        const s = await open(dir);
        await s.create('/x/a', {});
        const w = collect(s, '/x/', s.currentRevision());
        await s.close();
        isStorageError('Closed')(await w.error);
        await assert.rejects(s.get('/x/a'), isStorageError('Closed'));
        await assert.rejects(s.create('/x/b', {}), isStorageError('Closed'));
        assert.throws(() => s.watch('/x/', 0, { onEvent() {} }), isStorageError('Closed'));
        await s.close(); // idempotent
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    if (opts.reopen) {
      t('restart: same revision, same data, history still watchable', async () => {
        const dir = await mkdtemp(join(tmpdir(), 'portcullis-store-'));
        try {
          const s1 = await open(dir);
          const r0 = s1.currentRevision();
          const a = await s1.create('/s/a', { v: 1 });
          await s1.update('/s/a', { v: 2 }, a.modRevision);
          await s1.create('/s/b', { v: 1 });
          await s1.compact(r0 + 1);
          await s1.delete('/s/b');
          const rev = s1.currentRevision();
          const before = await s1.list('/s/');
          await s1.close();

          const s2 = await open(dir);
          try {
            assert.equal(s2.currentRevision(), rev);
            assert.equal(s2.compactedRevision(), r0 + 1);
            assert.deepEqual(await s2.list('/s/'), before);
            assert.throws(() => s2.watch('/s/', r0, { onEvent() {} }), isStorageError('Compacted'));
            const w = collect(s2, '/s/', r0 + 1);
            const c = await s2.create('/s/c', {});
            assert.equal(c.modRevision, rev + 1);
            assert.deepEqual(summary(await w.until(4)), [
              `MODIFIED /s/a @${r0 + 2}`,
              `ADDED /s/b @${r0 + 3}`,
              `DELETED /s/b @${r0 + 4}`,
              `ADDED /s/c @${r0 + 5}`,
            ]);
            w.watcher.close();
          } finally {
            await s2.close();
          }
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      });
    }
  });
}
