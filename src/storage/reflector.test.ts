import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reflect } from './reflector.ts';
import { openSqliteStore } from './sqlite.ts';
import type { ListResult, Store, WatchEvent, WatchHandlers } from './types.ts';

/** A view of two prefixes: key → value, rebuilt on replace. */
function view() {
  const items = new Map<string, unknown>();
  const log: string[] = [];
  return {
    items,
    log,
    handlers: {
      replace(lists: ListResult[]) {
        log.push(`replace ${lists.map((l) => l.items.length).join(',')}`);
        items.clear();
        for (const l of lists) for (const i of l.items) items.set(i.key, i.value);
      },
      event(index: number, e: WatchEvent) {
        log.push(`${index} ${e.type} ${e.key}`);
        if (e.type === 'DELETED') items.delete(e.key);
        else items.set(e.key, e.value);
      },
    },
  };
}

const settle = async (until: () => boolean) => {
  for (let i = 0; i < 200 && !until(); i++) await new Promise((r) => setImmediate(r));
};

test('lists every prefix at one revision, then follows each prefix with its index', async () => {
  const store = openSqliteStore({ path: ':memory:' });
  await store.create('/a/1', { v: 1 });
  await store.create('/b/1', { v: 1 });
  await store.create('/c/1', { v: 1 }); // not reflected
  const v = view();
  const r = reflect(store, ['/a/', '/b/'], v.handlers);
  try {
    await r.ready;
    assert.deepEqual(v.log, ['replace 1,1']);
    await store.create('/b/2', { v: 2 });
    await store.create('/c/2', { v: 2 });
    const a = await store.get('/a/1');
    await store.delete('/a/1', a!.modRevision);
    await settle(() => v.log.length === 3);
    assert.deepEqual(v.log, ['replace 1,1', '1 ADDED /b/2', '0 DELETED /a/1']);
    assert.deepEqual([...v.items.keys()].sort(), ['/b/1', '/b/2']);
  } finally {
    r.stop();
    await store.close();
  }
});

test('a failed list is retried; a broken watch relists; stop ends everything', async () => {
  const store = openSqliteStore({ path: ':memory:' });
  await store.create('/a/1', { v: 1 });
  let listFailures = 1;
  let breakWatch: ((e: Error) => void) | undefined;
  const flaky: Pick<Store, 'currentRevision' | 'list' | 'watch'> = {
    currentRevision: () => store.currentRevision(),
    list: async (prefix, opts) => {
      if (listFailures-- > 0) throw new Error('list failed');
      return store.list(prefix, opts);
    },
    watch: <T>(prefix: string, from: number, handlers: WatchHandlers<T>) => {
      breakWatch = (e) => handlers.onError?.(e);
      return store.watch<T>(prefix, from, handlers);
    },
  };
  const v = view();
  const errors: string[] = [];
  const r = reflect(flaky, ['/a/'], v.handlers, { onError: (e) => errors.push(e.message), retryMs: 1 });
  try {
    await r.ready;
    assert.deepEqual(errors, ['list failed']);
    assert.deepEqual(v.log, ['replace 1']);
    await store.create('/a/2', { v: 2 });
    await settle(() => v.items.has('/a/2'));
    breakWatch!(new Error('fell behind'));
    await settle(() => v.log.length === 3);
    assert.deepEqual(errors, ['list failed', 'fell behind']);
    assert.deepEqual(v.log, ['replace 1', '0 ADDED /a/2', 'replace 2']);
    r.stop();
    await store.create('/a/3', { v: 3 });
    await settle(() => false);
    assert.equal(v.items.has('/a/3'), false, 'nothing arrives after stop');
  } finally {
    r.stop();
    await store.close();
  }
});
