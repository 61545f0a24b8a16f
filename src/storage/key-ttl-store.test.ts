import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteStore } from './sqlite.ts';
import { withKeyTtl } from './key-ttl-store.ts';
import { createWatchCache } from './watch-cache.ts';

test('keys under a prefix are written with its TTL on create and update; others and explicit options are left alone', async () => {
  const clock = { t: 0 };
  const sqlite = openSqliteStore({ path: ':memory:', durability: 'normal', now: () => clock.t, expirySweepMs: 2 ** 30 });
  const store = withKeyTtl(sqlite, [{ prefix: '/registry/core/events/', ttlSeconds: 10 }]);
  const ev = await store.create('/registry/core/events/ns/a', { v: 1 });
  await store.create('/registry/core/configmaps/ns/a', { v: 1 });
  await store.create('/registry/core/events/ns/own', { v: 1 }, { ttlSeconds: 100 });
  clock.t += 5000;
  await store.update('/registry/core/events/ns/a', { v: 2 }, ev.modRevision); // renewed: 15 s
  clock.t += 9000;
  assert.equal(await sqlite.expireDue(), 0);
  clock.t += 1000;
  assert.equal(await sqlite.expireDue(), 1);
  assert.equal(await store.get('/registry/core/events/ns/a'), undefined);
  clock.t += 1_000_000;
  assert.equal(await sqlite.expireDue(), 1); // the one with its own TTL
  assert.ok(await store.get('/registry/core/configmaps/ns/a'));
  await store.close();
});

test('no TTL (0) leaves the store as it is; a bad rule is refused', () => {
  const sqlite = openSqliteStore({ path: ':memory:', durability: 'normal' });
  assert.equal(withKeyTtl(sqlite, [{ prefix: '/registry/core/events/', ttlSeconds: 0 }]), sqlite);
  assert.throws(() => withKeyTtl(sqlite, [{ prefix: '/registry/core/events', ttlSeconds: 5 }]), /must end in/);
  assert.throws(() => withKeyTtl(sqlite, [{ prefix: '/registry/core/events/', ttlSeconds: 0.5 }]), /invalid TTL/);
  void sqlite.close();
});

test('the watch cache passes a write\u2019s TTL down and applies the expiry\u2019s DELETED', async () => {
  const clock = { t: 0 };
  const sqlite = openSqliteStore({ path: ':memory:', durability: 'normal', now: () => clock.t, expirySweepMs: 2 ** 30 });
  const cache = createWatchCache(sqlite);
  const made = await cache.create('/registry/core/events/ns/a', { v: 1 }, { ttlSeconds: 3 });
  await cache.update('/registry/core/events/ns/a', { v: 2 }, made.modRevision, { ttlSeconds: 3 });
  await cache.create('/registry/core/events/ns/b', { v: 1 });
  assert.equal((await cache.list('/registry/core/events/')).items.length, 2);
  clock.t += 3000;
  assert.equal(await sqlite.expireDue(), 1);
  const deleteRevision = sqlite.currentRevision();
  while (cache.currentRevision() < deleteRevision) await new Promise((r) => setImmediate(r));
  assert.deepEqual((await cache.list('/registry/core/events/')).items.map((o) => o.key), ['/registry/core/events/ns/b']);
  await cache.close();
});
