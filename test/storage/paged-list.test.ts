/**
 * Lists of keys the watch cache leaves to the store (Events) are read in pages with the event loop
 * turning between them (src/storage/paged-list.ts), and answer exactly what one unpaged read of
 * the store answers: items, revision, continue token, remainingItemCount, for predicates, limits
 * above a page, reads at a revision and a client's continue tokens. A compaction between pages
 * restarts a list of the current state (bounded, then one whole read) and leaves a pinned list to
 * the whole read. On SQLite, and on etcd when Debian's etcd is installed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteStore } from '../../src/storage/sqlite.ts';
import { createWatchCache } from '../../src/storage/watch-cache.ts';
import { pagedList, PAGE, RESTARTS } from '../../src/storage/paged-list.ts';
import { builtinKey, builtinPrefix } from '../../src/api/registry/resource-def.ts';
import type { ListOptions, ListResult, Store } from '../../src/storage/types.ts';
import { isStorageError } from './conformance.ts';
import { etcdSkip } from '../helpers/etcd.ts';
import { openEtcdFixture } from '../helpers/etcd-store.ts';

const EVENTS = builtinPrefix('', 'events');
const ev = (ns: string, i: number) => builtinKey('', 'events', ns, `e-${String(i).padStart(4, '0')}`);
const even = (v: unknown) => (v as { n: number }).n % 2 === 0;
const rare = (v: unknown) => (v as { n: number }).n % 7 === 3;

/** A store whose lists are counted (failed ones too) and call `hook(call number, options)` after each read that succeeded. */
function hooked(store: Store, hook: (call: number, opts: ListOptions) => Promise<void>): { store: Store; calls: () => number } {
  let calls = 0;
  const list = async <T>(prefix: string, opts?: ListOptions): Promise<ListResult<T>> => {
    const call = ++calls;
    const r = await store.list<T>(prefix, opts);
    await hook(call, opts ?? {});
    return r;
  };
  return { store: { list } as unknown as Store, calls: () => calls };
}

function pagedCases(name: string, skip: string | false, open: () => Promise<{ store: Store; close(): Promise<void> }>): void {
  describe(`Event lists in pages: ${name}`, { skip }, () => {
    let store: Store;
    let done: () => Promise<void>;
    let old: number;
    before(async () => {
      const o = await open();
      store = o.store;
      done = () => o.close();
      // Keys before and after the range, two namespaces, updates and deletes after `old`.
      await store.create(builtinKey('', 'endpoints', 'a', 'x'), { n: -1 });
      await store.create(builtinKey('', 'namespaces', '', 'z'), { n: -2 });
      for (let i = 0; i < 30; i++) await store.create(ev(i % 3 === 0 ? 'a' : 'b', i), { n: i });
      old = store.currentRevision();
      for (let i = 0; i < 30; i += 4) {
        const k = ev(i % 3 === 0 ? 'a' : 'b', i);
        const cur = await store.get(k);
        if (i % 8 === 0) await store.delete(k);
        else await store.update(k, { n: i + 1 }, cur!.modRevision);
      }
      for (let i = 30; i < 34; i++) await store.create(ev('a', i), { n: i });
    });
    after(() => done?.());

    test('every page size answers what one read answers: predicates, limits, revisions, client continue tokens', async () => {
      const token = (await store.list(EVENTS, { limit: 5 })).continue!;
      const oldToken = (await store.list(EVENTS, { limit: 4, atRevision: old, predicate: even })).continue!;
      assert.ok(token && oldToken);
      const cases: [string, string, ListOptions][] = [];
      for (const prefix of [EVENTS, `${EVENTS}a/`, `${EVENTS}b/`, `${EVENTS}none/`]) {
        for (const [pname, predicate] of [['all', undefined], ['even', even], ['rare', rare]] as const) {
          for (const limit of [undefined, 0, 1, 2, 5, 7, 12, 20, 33, 100]) {
            cases.push([prefix, `${pname} limit ${limit}`, { predicate, limit }]);
            cases.push([prefix, `${pname} limit ${limit} at ${old}`, { predicate, limit, atRevision: old }]);
          }
        }
      }
      for (const limit of [undefined, 3, 9, 40]) {
        for (const predicate of [undefined, even]) {
          cases.push([EVENTS, `client continue limit ${limit}`, { continue: token, limit, predicate }]);
          cases.push([EVENTS, `client continue at ${old} limit ${limit}`, { continue: oldToken, limit, predicate }]);
        }
      }
      for (const page of [1, 2, 3, 4, 10]) {
        for (const [prefix, what, opts] of cases) {
          const whole = await store.list(prefix, opts);
          const paged = await pagedList(store, prefix, opts, page);
          assert.deepEqual(paged, whole, `${prefix} ${what}, pages of ${page}`);
        }
      }
    });

    test('a compaction between pages: a current list starts again at the new revision, a pinned one is read whole', async () => {
      // Compact right after the first page (once): the second page's revision is gone.
      let compactOnce = true;
      const once = hooked(store, async (call) => {
        if (call !== 1 || !compactOnce) return;
        compactOnce = false;
        await store.create(ev('a', 100), { n: 100 });
        await store.compact(store.currentRevision());
      });
      const got = await pagedList(once.store, EVENTS, { predicate: even }, 4);
      assert.deepEqual(got, await store.list(EVENTS, { predicate: even }), 'the restart read the state after the compaction');
      assert.ok(got.items.some((i) => i.key === ev('a', 100)));

      // Compacting after every page: RESTARTS fresh starts fail, then one whole read answers.
      const always = hooked(store, async (call, opts) => {
        if (opts.limit === 4) {
          await store.create(ev('b', 200 + call), { n: 200 + call });
          await store.compact(store.currentRevision());
        }
      });
      const last = await pagedList(always.store, EVENTS, {}, 4);
      assert.equal(always.calls(), 2 * (RESTARTS + 1) + 1, 'two pages per attempt, then the whole read');
      assert.deepEqual(last, await store.list(EVENTS));

      // Pinned at a revision a compaction then passes: the whole read refuses it, as it would have.
      const at = store.currentRevision();
      let compacted = false;
      const pinned = hooked(store, async () => {
        if (compacted) return;
        compacted = true;
        await store.create(ev('b', 300), { n: 300 });
        await store.compact(store.currentRevision());
      });
      await assert.rejects(pagedList(pinned.store, EVENTS, { atRevision: at }, 4), isStorageError('Compacted'));
      assert.equal(pinned.calls(), 3, 'no restart of a pinned list: the first page, the refused second, then the whole read');
    });

    test('through the watch cache, the event loop turns between pages of an Event list', async () => {
      const cache = createWatchCache(store, { uncached: [EVENTS] });
      try {
        const n = 3 * PAGE + 10;
        const writes: Promise<unknown>[] = [];
        for (let i = 0; i < n; i++) writes.push(cache.create(builtinKey('', 'events', 'many', `m-${String(i).padStart(5, '0')}`), { n: i }));
        await Promise.all(writes);
        for (const [what, opts] of [['unfiltered', {}], ['selector', { predicate: (v: unknown) => (v as { n: number }).n === 7 }]] as const) {
          let turns = 0;
          let listing = true;
          const spin = () => {
            turns++;
            if (listing) setImmediate(spin);
          };
          setImmediate(spin);
          const res = await cache.list(`${EVENTS}many/`, opts);
          listing = false;
          assert.deepEqual(res, await store.list(`${EVENTS}many/`, opts), what);
          assert.ok(turns >= 3, `${what}: the loop turned ${turns} times during a list of ${n} Events in pages of ${PAGE}`);
        }
      } finally {
        await cache.close();
      }
    });
  });
}

pagedCases('SQLite', false, async () => {
  const store = openSqliteStore({ path: ':memory:', durability: 'normal' });
  return { store, close: () => store.close() };
});

const skip = etcdSkip();
pagedCases('etcd', skip, async () => {
  const f = await openEtcdFixture('/paged');
  return { store: f.store, close: () => f.close() };
});
