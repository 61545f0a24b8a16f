/**
 * The watch cache leaves chosen prefixes to the store beneath it (the API server: Events, as
 * upstream's default watch cache size 0 for them): nothing of them is held, and their reads,
 * lists, watches, resumes and 410s are the store's, as are those of any prefix containing them.
 * On SQLite, and on etcd when Debian's etcd is installed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteStore } from '../../src/storage/sqlite.ts';
import { createWatchCache, type WatchCacheStore } from '../../src/storage/watch-cache.ts';
import { builtinGroupPrefix, builtinKey, builtinPrefix, REGISTRY_ROOT } from '../../src/api/registry/resource-def.ts';
import type { Store, WatchEvent, WatchHandlers } from '../../src/storage/types.ts';
import { collect, isStorageError } from './conformance.ts';
import { etcdSkip } from '../helpers/etcd.ts';
import { openEtcdFixture, type EtcdStoreFixture } from '../helpers/etcd-store.ts';

const EVENTS = builtinPrefix('', 'events');
const PODS = builtinPrefix('', 'pods');
const CORE = builtinGroupPrefix('');
const ev = (name: string) => builtinKey('', 'events', 'ns', name);
const pod = (name: string) => builtinKey('', 'pods', 'ns', name);

const summary = (events: WatchEvent[]) => events.map((e) => `${e.type} ${e.key}`);
const keys = async (s: Store, prefix: string) => (await s.list(prefix)).items.map((i) => i.key);

function uncachedCases(name: string, skip: string | false, open: () => Promise<{ inner: Store; close(): Promise<void> }>): void {
  describe(`watch cache with Events left to the store: ${name}`, { skip }, () => {
    let inner: Store;
    let cache: WatchCacheStore;
    let done: () => Promise<void>;
    before(async () => {
      const o = await open();
      inner = o.inner;
      cache = createWatchCache(inner, { uncached: [EVENTS] });
      done = () => o.close();
    });
    after(() => done?.());

    test('nothing of an Event is held; get, list, count and writes are the store\'s, read-your-writes holds', async () => {
      const start = cache.currentRevision();
      const p = await cache.create(pod('p'), { kind: 'Pod' });
      await cache.update(pod('p'), { kind: 'Pod', n: 2 }, p.modRevision); // after priming: in the history
      const a = await cache.create(ev('a'), { kind: 'Event', count: 1 });
      assert.deepEqual(cache.held(EVENTS), { objects: 0, events: 0 });
      assert.equal(cache.held(PODS).objects, 1);
      assert.ok(cache.held(PODS).events >= 1, 'the Pod\'s event is in its history');
      // The store answers at once after its acknowledgement: the next read is the store's too.
      const a2 = await cache.update(ev('a'), { kind: 'Event', count: 2 }, a.modRevision);
      assert.deepEqual((await cache.get(ev('a')))?.value, { kind: 'Event', count: 2 });
      assert.equal((await cache.get(ev('a')))?.modRevision, a2.modRevision);
      assert.equal(cache.getNow?.(ev('a')), undefined, 'memory cannot answer for an Event');
      assert.equal(cache.getNow?.(pod('p'))?.key, pod('p'));
      assert.deepEqual(await keys(cache, EVENTS), [ev('a')]);
      // Lists across resources cannot come from memory alone: they are the store's, whole.
      for (const prefix of ['', REGISTRY_ROOT, CORE]) {
        assert.deepEqual((await keys(cache, prefix)).filter((k) => k === ev('a') || k === pod('p')).sort(), [ev('a'), pod('p')].sort(), prefix);
      }
      assert.deepEqual(await keys(cache, `${CORE}e`), [ev('a')]);
      assert.equal(await cache.count(EVENTS), 1);
      assert.equal(await cache.count(CORE), await inner.count(CORE));
      // Pages of a list containing the Events: every page from the store, at one revision.
      const seen: string[] = [];
      let cont: string | undefined;
      do {
        const page = await cache.list(CORE, { limit: 1, continue: cont });
        seen.push(...page.items.map((i) => i.key));
        cont = page.continue;
      } while (cont);
      assert.deepEqual(seen, await keys(inner, CORE));
      const d = await cache.delete(ev('a'));
      assert.equal(await cache.get(ev('a')), undefined);
      // The Events' writes move the revision memory is at (the cache's inner watch saw them).
      while (cache.currentRevision() < d.modRevision) await new Promise((r) => setImmediate(r));
      assert.ok(cache.currentRevision() > start);
      assert.deepEqual(cache.held(EVENTS), { objects: 0, events: 0 });
    });

    test('watches of Events, and of prefixes containing them, are the store\'s: in order, resumable, 410 once compacted', async () => {
      const from = cache.currentRevision();
      const events = collect(cache, EVENTS, from);
      const everything = collect(cache, CORE, from);
      const pods = collect(cache, PODS, from);
      const b = await cache.create(ev('b'), { n: 1 });
      await cache.create(pod('q'), { n: 1 });
      const b2 = await cache.update(ev('b'), { n: 2 }, b.modRevision);
      await cache.delete(ev('b'));
      const q = await cache.delete(pod('q'));
      assert.deepEqual(summary(await events.until(3)), [`ADDED ${ev('b')}`, `MODIFIED ${ev('b')}`, `DELETED ${ev('b')}`]);
      assert.deepEqual(summary(await everything.until(5)), [`ADDED ${ev('b')}`, `ADDED ${pod('q')}`, `MODIFIED ${ev('b')}`, `DELETED ${ev('b')}`, `DELETED ${pod('q')}`]);
      assert.deepEqual(summary(await pods.until(2)), [`ADDED ${pod('q')}`, `DELETED ${pod('q')}`]);
      assert.deepEqual((await everything.until(5)).map((e) => e.revision), [...(await everything.until(5)).map((e) => e.revision)].sort((x, y) => x - y));
      for (const c of [events, everything, pods]) c.watcher.close();
      // A resume from a resourceVersion: what came after it, from the store's log.
      const resumed = collect(cache, EVENTS, b2.modRevision);
      assert.deepEqual(summary(await resumed.until(1)), [`DELETED ${ev('b')}`]);
      resumed.watcher.close();
      // Compacted past it: 'Compacted' (the API's 410 Expired), for a watch and for a list.
      await cache.compact(q.modRevision);
      assert.throws(() => cache.watch(EVENTS, b.modRevision, { onEvent: () => {} }), isStorageError('Compacted'));
      assert.throws(() => cache.watch(REGISTRY_ROOT, b.modRevision, { onEvent: () => {} }), isStorageError('Compacted'));
      await assert.rejects(cache.list(EVENTS, { atRevision: b.modRevision }), isStorageError('Compacted'));
      // From the compacted revision itself the watch starts.
      const fromCompacted = collect(cache, EVENTS, q.modRevision);
      const c = await cache.create(ev('c'), { n: 1 });
      assert.deepEqual((await fromCompacted.until(1)).map((e) => e.revision), [c.modRevision]);
      fromCompacted.watcher.close();
    });

    test('a cache primed over stored Events holds none of them (one without the option holds them all)', async () => {
      const again = createWatchCache(inner, { uncached: [EVENTS] });
      await again.create(pod('r'), { n: 1 }); // resolves once primed and caught up
      assert.ok((await inner.count(EVENTS)) >= 1);
      assert.deepEqual(again.held(EVENTS), { objects: 0, events: 0 });
      assert.ok(again.held(PODS).objects >= 2);
      // A wider cache over the same store holds them: the switch is the option, nothing else.
      const all = createWatchCache(inner);
      await all.create(pod('s'), { n: 1 });
      assert.equal(all.held(EVENTS).objects, await inner.count(EVENTS));
    });

    test('the cache\'s one watch of the store passes the Events over (not decoded), and its revision still follows them', async () => {
      const passOvers: Array<((key: string) => boolean) | undefined> = [];
      const spied = new Proxy(inner, { get: (t, k) => (k === 'watch' ? (p: string, from: number, h: WatchHandlers) => (passOvers.push(h.passOver), t.watch(p, from, h)) : Reflect.get(t, k)) });
      const c = createWatchCache(spied, { uncached: [EVENTS] });
      await c.create(pod('t'), { n: 1 });
      assert.equal(passOvers.length, 1);
      assert.equal(passOvers[0]?.(ev('x')), true);
      assert.equal(passOvers[0]?.(pod('x')), false);
      const e = await c.create(ev('t'), { n: 1 });
      while (c.currentRevision() < e.modRevision) await new Promise((r) => setImmediate(r));
      assert.deepEqual(c.held(EVENTS), { objects: 0, events: 0 });
    });
  });
}

uncachedCases('SQLite', false, async () => {
  const inner = openSqliteStore({ path: ':memory:', durability: 'normal' });
  return { inner, close: () => inner.close() };
});

const skip = etcdSkip();
uncachedCases('etcd', skip, async () => {
  const f: EtcdStoreFixture = await openEtcdFixture('/uncached');
  return { inner: f.store, close: () => f.close() };
});
