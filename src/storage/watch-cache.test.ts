import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteStore } from './sqlite.ts';
import { createWatchCache } from './watch-cache.ts';
import { StorageError } from './types.ts';
import type { Store, Watcher, WatchEvent, WatchHandlers } from './types.ts';

/** The inner store, with every method call recorded by name. */
function spied(inner: Store): { store: Store; calls: string[] } {
  const calls: string[] = [];
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        calls.push(String(prop));
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, calls };
}

/**
 * An inner store whose watch events arrive a macrotask late (as from a remote etcd) and whose
 * watches can be broken on demand.
 */
function laggy(inner: Store): { store: Store; breakWatches: (err: Error) => void } {
  const live: Array<{ w: Watcher; h: WatchHandlers }> = [];
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop !== 'watch') {
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      }
      return (prefix: string, from: number, h: WatchHandlers) => {
        let chain = Promise.resolve();
        const later = () => new Promise<void>((resolve) => setImmediate(resolve));
        const w = target.watch(prefix, from, {
          onEvent: (e) => (chain = chain.then(later).then(() => h.onEvent(e))),
          onError: (err) => h.onError?.(err),
        });
        live.push({ w, h });
        return w;
      };
    },
  });
  return {
    store,
    breakWatches(err) {
      for (const { w, h } of live.splice(0)) {
        w.close();
        h.onError?.(err);
      }
    },
  };
}

function until(events: WatchEvent[], n: number, handlers: { error?: Error }): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (handlers.error) return reject(handlers.error);
      if (events.length >= n) return resolve();
      setImmediate(check);
    };
    check();
  });
}

const READS = new Set(['get', 'list', 'count', 'watch']);

describe('watch cache', () => {
  test('current reads and recent watches are served from memory', async () => {
    const { store: inner, calls } = spied(openSqliteStore({ path: ':memory:' }));
    const cache = createWatchCache(inner, { historySize: 2 });
    const r0 = cache.currentRevision();
    for (const k of ['/m/a', '/m/b', '/m/c', '/m/d']) await cache.create(k, { k });
    calls.length = 0;

    assert.deepEqual((await cache.get('/m/b'))?.value, { k: '/m/b' });
    const p1 = await cache.list('/m/', { limit: 3 });
    const p2 = await cache.list('/m/', { limit: 3, continue: p1.continue });
    assert.deepEqual([...p1.items, ...p2.items].map((o) => o.key), ['/m/a', '/m/b', '/m/c', '/m/d']);
    assert.equal(p1.remainingItemCount, 1);
    assert.equal(await cache.count('/m/'), 4);
    const recent = cache.watch('/m/', r0 + 2, { onEvent() {} }); // the ring holds r0+3, r0+4
    assert.deepEqual(calls.filter((c) => READS.has(c)), []);

    const old = cache.watch('/m/', r0 + 1, { onEvent() {} });
    await cache.list('/m/', { atRevision: r0 + 1 });
    assert.deepEqual(calls.filter((c) => READS.has(c)), ['watch', 'list'], 'older revisions fall through');
    recent.close();
    old.close();
    await cache.close();
    await assert.rejects(inner.get('/m/a'), (e: unknown) => e instanceof StorageError && e.code === 'Closed');
  });

  test('a write resolves only once the cache shows it, even when the inner watch lags', async () => {
    const { store: inner } = laggy(openSqliteStore({ path: ':memory:' }));
    const cache = createWatchCache(inner);
    const a = await cache.create('/y/a', { v: 1 });
    assert.deepEqual(await cache.get('/y/a'), a);
    for (let i = 2; i <= 5; i++) {
      const cur = (await cache.get('/y/a'))!;
      const next = await cache.update('/y/a', { v: i }, cur.modRevision);
      assert.deepEqual((await cache.list('/y/')).items, [next]);
      assert.equal(cache.currentRevision(), next.modRevision);
    }
    await cache.delete('/y/a');
    assert.equal(await cache.get('/y/a'), undefined);
    await cache.close();
  });

  test('when the inner watch breaks, cache watchers are told and the cache re-primes', async () => {
    const { store: inner, breakWatches } = laggy(openSqliteStore({ path: ':memory:' }));
    const cache = createWatchCache(inner);
    await cache.create('/z/a', { v: 1 });
    const events: WatchEvent[] = [];
    const state: { error?: Error } = {};
    cache.watch('/z/', cache.currentRevision(), { onEvent: (e) => events.push(e), onError: (e) => (state.error = e) });

    breakWatches(new Error('connection lost'));
    await assert.rejects(until(events, 1, state), /connection lost/);
    // Changes made while the cache was blind are picked up by the re-prime.
    await inner.create('/z/b', { v: 2 });
    const c = await cache.create('/z/c', { v: 3 });
    assert.deepEqual((await cache.list('/z/')).items.map((o) => o.key), ['/z/a', '/z/b', '/z/c']);
    assert.equal(cache.currentRevision(), c.modRevision);

    const after: WatchEvent[] = [];
    const st2: { error?: Error } = {};
    cache.watch('/z/', c.modRevision, { onEvent: (e) => after.push(e), onError: (e) => (st2.error = e) });
    await cache.create('/z/d', {});
    await until(after, 1, st2);
    assert.deepEqual(after.map((e) => e.key), ['/z/d']);
    await cache.close();
  });

  test('getNow answers at once what get answers, from memory; not before priming, while re-priming or after close', async () => {
    const { store: inner, breakWatches } = laggy(openSqliteStore({ path: ':memory:' }));
    const cache = createWatchCache(inner);
    assert.equal(cache.getNow!('/g/a'), undefined, 'not primed yet: only get can tell');
    const a = await cache.create('/g/a', { v: 1 });
    assert.deepEqual(cache.getNow!('/g/a'), a);
    assert.deepEqual(cache.getNow!('/g/a'), await cache.get('/g/a'));
    assert.equal(cache.getNow!('/g/none'), null);
    assert.equal(await cache.get('/g/none'), undefined);
    const b = await cache.update('/g/a', { v: 2 }, a.modRevision);
    assert.deepEqual(cache.getNow!('/g/a'), b);
    breakWatches(new Error('connection lost'));
    assert.equal(cache.getNow!('/g/a'), undefined, 're-priming: get goes to the inner store');
    await cache.list('/g/');
    assert.deepEqual(cache.getNow!('/g/a'), b);
    await cache.close();
    assert.equal(cache.getNow!('/g/a'), undefined);
  });

  test('the history is bounded in bytes: large values push old events out, and older watches fall through', async () => {
    const { store: inner, calls } = spied(openSqliteStore({ path: ':memory:' }));
    const big = 'x'.repeat(10_000);
    // Room for about three events of this size, whatever the event count allows.
    const cache = createWatchCache(inner, { historySize: 1000, historyBytes: 35_000 });
    const r0 = cache.currentRevision();
    let cur = await cache.create('/b/a', { big, i: 0 });
    for (let i = 1; i < 10; i++) cur = await cache.update('/b/a', { big, i }, cur.modRevision);
    calls.length = 0;
    const recent: WatchEvent[] = [];
    const w1 = cache.watch('/b/', cur.modRevision - 3, { onEvent: (e) => recent.push(e) });
    assert.deepEqual(calls.filter((c) => READS.has(c)), [], 'the last three events are in memory');
    const all: WatchEvent[] = [];
    const w2 = cache.watch('/b/', r0, { onEvent: (e) => all.push(e) });
    assert.deepEqual(calls.filter((c) => READS.has(c)), ['watch'], 'older ones are not: the log serves them');
    await until(all, 10, {});
    await until(recent, 3, {});
    assert.deepEqual(all.map((e) => (e.value as { i: number }).i), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(recent.map((e) => (e.value as { i: number }).i), [7, 8, 9]);
    w1.close();
    w2.close();
    await cache.close();
  });

  test("a flood of one resource's events does not expire another's: each resource has its own history", async () => {
    const { store: inner, calls } = spied(openSqliteStore({ path: ':memory:' }));
    const cache = createWatchCache(inner, { historySize: 100 });
    const cm = await cache.create('/registry/core/configmaps/quiet/settings', { v: 1 });
    let pod = await cache.create('/registry/core/pods/busy/p', { i: 0 });
    for (let i = 1; i <= 300; i++) pod = await cache.update('/registry/core/pods/busy/p', { i }, pod.modRevision);
    calls.length = 0;

    // An informer of ConfigMaps resumes from its last revision, from memory.
    const seen: WatchEvent[] = [];
    const w = cache.watch('/registry/core/configmaps/', cm.modRevision, { onEvent: (e) => seen.push(e) });
    assert.deepEqual(calls.filter((c) => READS.has(c)), [], 'served from memory, not replayed from the log');
    await cache.update('/registry/core/configmaps/quiet/settings', { v: 2 }, cm.modRevision);
    await until(seen, 1, {});
    assert.deepEqual(seen.map((e) => [e.type, e.value]), [['MODIFIED', { v: 2 }]]);

    // The pods' own history is bounded at 100 events: older pod watches fall through.
    const pods: WatchEvent[] = [];
    const recent = cache.watch('/registry/core/pods/', pod.modRevision - 100, { onEvent() {} });
    assert.deepEqual(calls.filter((c) => READS.has(c)), []);
    const old = cache.watch('/registry/core/pods/', pod.modRevision - 101, { onEvent: (e) => pods.push(e) });
    assert.deepEqual(calls.filter((c) => READS.has(c)), ['watch']);
    await until(pods, 101, {});
    for (const x of [w, recent, old]) x.close();
    await cache.close();
  });

  test("a resource's history holds about historyWindowMs of its events (upstream's eventFreshDuration), a quiet one's stays", async () => {
    const { store: inner, calls } = spied(openSqliteStore({ path: ':memory:' }));
    let now = 0;
    const cache = createWatchCache(inner, { historyWindowMs: 75_000, now: () => now });
    const cm = await cache.create('/registry/core/configmaps/quiet/settings', { v: 1 });
    // One pod write a second for 500 s: the ring stays at 100 events (100 s, past the window).
    let pod = await cache.create('/registry/core/pods/busy/p', { i: 0 });
    for (let i = 1; i <= 500; i++, now += 1000) pod = await cache.update('/registry/core/pods/busy/p', { i }, pod.modRevision);
    calls.length = 0;
    const recent = cache.watch('/registry/core/pods/', pod.modRevision - 99, { onEvent() {} });
    const quiet = cache.watch('/registry/core/configmaps/', cm.modRevision, { onEvent() {} });
    assert.deepEqual(calls.filter((c) => READS.has(c)), [], 'the last 100 pod events and the ConfigMap are in memory');
    const old = cache.watch('/registry/core/pods/', pod.modRevision - 101, { onEvent() {} });
    assert.deepEqual(calls.filter((c) => READS.has(c)), ['watch'], 'older pod events are not (with no window: 100 * 1024 held)');
    for (const x of [recent, quiet, old]) x.close();
    await cache.close();
  });

  test('a history size must be a positive integer', () => {
    const inner = openSqliteStore({ path: ':memory:' });
    assert.throws(() => createWatchCache(inner, { historyWindowMs: -1 }), RangeError);
    assert.throws(() => createWatchCache(inner, { historySize: 0 }), RangeError);
    assert.throws(() => createWatchCache(inner, { historyBytes: 0 }), RangeError);
    assert.throws(() => createWatchCache(inner, { historyEvents: 1.5 }), RangeError);
    return inner.close();
  });
});

test('a stored value that is not an object (a string, null) does not stop the cache delivering what follows', async () => {
  const { store, calls } = spied(openSqliteStore({ path: ':memory:' }));
  const cache = createWatchCache(store);
  const seen: WatchEvent[] = [];
  const w = cache.watch('/x/', cache.currentRevision(), { onEvent: (e) => seen.push(e) });
  await cache.create('/x/a', 'not an object');
  await cache.create('/x/b', null);
  await cache.create('/x/c', { ok: true });
  for (let i = 0; i < 100 && seen.length < 3; i++) await new Promise((r) => setTimeout(r, 5));
  w.close();
  assert.deepEqual(seen.map((e) => [e.key, e.value]), [['/x/a', 'not an object'], ['/x/b', null], ['/x/c', { ok: true }]]);
  assert.deepEqual((await cache.get('/x/c'))?.value, { ok: true });
  // Delivered by the cache's one watch of its store, not by relisting after a failure.
  assert.equal(calls.filter((c) => c === 'list').length, 1, calls.join(' '));
  await cache.close();
});

test('the cache keeps the object the store parsed at commit: the writer, readers and watchers share it, parsed once', async () => {
  const cache = createWatchCache(openSqliteStore({ path: ':memory:' }));
  await cache.list('/p/');
  const seen: WatchEvent[] = [];
  const w = cache.watch('/p/', cache.currentRevision(), { onEvent: (e) => seen.push(e) });
  const created = await cache.create('/p/a', { data: { k: 'v' } });
  const got = await cache.get('/p/a');
  for (let i = 0; i < 100 && seen.length < 1; i++) await new Promise((r) => setTimeout(r, 5));
  w.close();
  assert.ok(got?.value === created.value, 'a read after the write returns the very object the writer got');
  assert.ok(seen[0]?.value === created.value, 'and so does the watch');
  assert.ok(Object.isFrozen(created.value));
  await cache.close();
});

test("the cache's events carry their values' JSON sizes: a paused watcher's backlog counts them with nothing kept beside the values", async () => {
  const cache = createWatchCache(openSqliteStore({ path: ':memory:' }));
  await cache.list('/p/');
  const w = cache.watch('/p/', cache.currentRevision(), { onEvent: () => {}, backlog: { maxEvents: 100, maxBytes: 1e6 } }) as Watcher & { backlog: { events: number; bytes: number } };
  w.pause();
  const one = { data: 'x'.repeat(100) };
  const two = { data: 'y'.repeat(50) };
  const set = WeakMap.prototype.set;
  const keys: object[] = [];
  WeakMap.prototype.set = function (this: WeakMap<object, unknown>, k: object, v: unknown) {
    keys.push(k);
    return set.call(this, k, v);
  };
  let a, b;
  try {
    a = await cache.create('/p/a', one);
    b = await cache.update('/p/a', two, a.modRevision);
    for (let i = 0; i < 100 && w.backlog.events < 2; i++) await new Promise((r) => setTimeout(r, 5));
  } finally {
    WeakMap.prototype.set = set;
  }
  // ADDED: its value; MODIFIED: its value and the distinct previous one.
  const [n1, n2] = [JSON.stringify(one).length, JSON.stringify(two).length];
  assert.deepEqual(w.backlog, { events: 2, bytes: n1 + n2 + n1 });
  assert.ok(!keys.includes(a.value) && !keys.includes(b.value), 'no side table entry per stored value');
  w.close();
  await cache.close();
});
