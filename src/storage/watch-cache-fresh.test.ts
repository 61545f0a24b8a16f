/**
 * The watch cache over a store other API servers write too (Store.freshRevision, as etcd has):
 * a consistent read of the current state waits until memory reaches the quorum revision, one
 * quorum read at a time, and reads the inner store when memory does not get there; other reads
 * answer from memory at once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteStore } from './sqlite.ts';
import { createWatchCache } from './watch-cache.ts';
import type { Store, WatchEvent, WatchHandlers } from './types.ts';

/**
 * The shared store as one server sees it: writes made through `other` (another server) reach
 * this server's watch only when release() is called; freshRevision is the shared store's revision.
 */
function shared(): { mine: Store; other: Store; release: () => void; quorumReads: () => number } {
  const base = openSqliteStore({ path: ':memory:' });
  const held: Array<() => void> = [];
  let holding = false;
  let reads = 0;
  const mine = new Proxy(base, {
    get(target, prop, receiver) {
      if (prop === 'freshRevision') {
        return async () => {
          reads++;
          return target.currentRevision();
        };
      }
      if (prop === 'watch') {
        return (prefix: string, from: number, h: WatchHandlers) =>
          target.watch(prefix, from, {
            onEvent: (e: WatchEvent) => (holding ? held.push(() => h.onEvent(e)) : h.onEvent(e)),
            onError: (err) => h.onError?.(err),
          });
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  }) as Store;
  const other = new Proxy(base, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (prop === 'create' || prop === 'update' || prop === 'delete') {
        return async (...args: unknown[]) => {
          holding = true;
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  }) as Store;
  return {
    mine,
    other,
    release() {
      holding = false;
      for (const f of held.splice(0)) f();
    },
    quorumReads: () => reads,
  };
}

test('a consistent read of the current state waits for memory to reach the quorum revision (a write made elsewhere is seen)', async () => {
  const { mine, other, release } = shared();
  const cache = createWatchCache(mine);
  try {
    await cache.create('/registry/core/configmaps/default/a', { n: 1 });
    await other.create('/registry/core/configmaps/default/b', { n: 2 });
    let listed = false;
    // The API server's own lookups read what this server has seen, without waiting.
    assert.equal(await cache.get('/registry/core/configmaps/default/b'), undefined);
    const list = cache.list('/registry/core/configmaps/', { consistent: true }).then((r) => ((listed = true), r));
    const get = cache.get('/registry/core/configmaps/default/b', { consistent: true });
    // Memory does not have b yet: the reads wait for it rather than answer without it.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    assert.equal(listed, false);
    release();
    assert.deepEqual((await list).items.map((i) => i.key), ['/registry/core/configmaps/default/a', '/registry/core/configmaps/default/b']);
    assert.deepEqual((await get)?.value, { n: 2 });
    // A read at a given revision is not a read of the current state: no waiting, no quorum read.
    const at = await cache.list('/registry/core/configmaps/', { atRevision: cache.currentRevision(), consistent: true });
    assert.equal(at.items.length, 2);
  } finally {
    await cache.close();
  }
});

test('reads arriving together share quorum reads: one in flight, one queued after it', async () => {
  const { mine, quorumReads } = shared();
  const cache = createWatchCache(mine);
  try {
    await cache.create('/registry/core/configmaps/default/a', {});
    const before = quorumReads();
    await Promise.all(Array.from({ length: 20 }, () => cache.get('/registry/core/configmaps/default/a', { consistent: true })));
    const n = quorumReads() - before;
    assert.ok(n >= 1 && n <= 2, `${n} quorum reads for 20 concurrent reads`);
  } finally {
    await cache.close();
  }
});

test('memory that never gets there: the read is answered by the inner store', async () => {
  const { mine, other } = shared();
  const cache = createWatchCache(mine);
  try {
    await cache.create('/registry/core/configmaps/default/a', {});
    // Written elsewhere and never delivered to this server's watch (as a write outside its prefix).
    await other.create('/registry/core/configmaps/default/b', {});
    const r = await cache.list('/registry/core/configmaps/', { consistent: true });
    assert.equal(r.items.length, 2);
  } finally {
    await cache.close();
  }
});
