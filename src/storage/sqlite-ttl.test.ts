import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from './sqlite.ts';
import { expiryPrefix, MAX_EXPIRY_PREFIXES, refreshExpiries, SqliteExpiry } from './sqlite-ttl.ts';
import type { SqliteStore } from './sqlite.ts';
import { StorageError } from './types.ts';
import { objectKey } from '../api/registry/resource-def.ts';
import type { WatchEvent } from './types.ts';

/** A store on a fake clock whose sweep never runs by itself (tests call expireDue). */
function store(path = ':memory:'): { s: SqliteStore; clock: { t: number } } {
  const clock = { t: 1_000_000 };
  return { s: openSqliteStore({ path, durability: 'normal', now: () => clock.t, expirySweepMs: 2 ** 30 }), clock };
}

test('a key written with a TTL is deleted once it passes, as one revision with a DELETED event', async () => {
  const { s, clock } = store();
  const events: WatchEvent[] = [];
  s.watch('/e/', 0, { onEvent: (e) => events.push(e) });
  const made = await s.create('/e/a', { n: 1 }, { ttlSeconds: 2 });
  await s.create('/e/forever', { n: 2 });
  clock.t += 1999;
  assert.equal(await s.expireDue(), 0);
  assert.ok(await s.get('/e/a'));
  clock.t += 1;
  assert.equal(await s.expireDue(), 1);
  assert.equal(await s.get('/e/a'), undefined);
  assert.equal(s.currentRevision(), made.modRevision + 2);
  const deleted = events.find((e) => e.type === 'DELETED');
  assert.equal(deleted?.key, '/e/a');
  assert.equal(deleted?.revision, made.modRevision + 2);
  assert.deepEqual(deleted?.value, { n: 1 });
  // A key without a TTL never expires.
  clock.t += 10 * 365 * 86_400_000;
  assert.equal(await s.expireDue(), 0);
  assert.ok(await s.get('/e/forever'));
  await s.close();
});

test('an update with a TTL renews the expiry; one without removes it; a delete forgets it', async () => {
  const { s, clock } = store();
  const a = await s.create('/e/a', { v: 1 }, { ttlSeconds: 2 });
  clock.t += 1500;
  await s.update('/e/a', { v: 2 }, a.modRevision, { ttlSeconds: 2 });
  clock.t += 1000; // 2.5 s after the create, 1 s after the renewal
  assert.equal(await s.expireDue(), 0);
  assert.deepEqual((await s.get('/e/a'))?.value, { v: 2 });
  clock.t += 1000;
  assert.equal(await s.expireDue(), 1);
  assert.equal(await s.get('/e/a'), undefined);

  const b = await s.create('/e/b', { v: 1 }, { ttlSeconds: 1 });
  await s.update('/e/b', { v: 2 }, b.modRevision);
  const c = await s.create('/e/c', { v: 1 }, { ttlSeconds: 1 });
  await s.delete('/e/c', c.modRevision);
  await s.create('/e/c', { v: 'again' });
  clock.t += 5000;
  assert.equal(await s.expireDue(), 0);
  assert.deepEqual((await s.get('/e/b'))?.value, { v: 2 });
  assert.deepEqual((await s.get('/e/c'))?.value, { v: 'again' });
  await s.close();
});

test('the expiry survives a restart of the store', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-ttl-'));
  try {
    const path = join(dir, 'state.db');
    const first = store(path);
    await first.s.create('/e/a', { v: 1 }, { ttlSeconds: 60 });
    await first.s.create('/e/b', { v: 1 });
    await first.s.close();
    const second = store(path);
    second.clock.t = first.clock.t + 59_000;
    assert.equal(await second.s.expireDue(), 0);
    second.clock.t = first.clock.t + 60_000;
    assert.equal(await second.s.expireDue(), 1);
    assert.equal(await second.s.get('/e/a'), undefined);
    assert.ok(await second.s.get('/e/b'));
    await second.s.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('more due keys than one pass takes are all deleted; the sweep runs by itself', async () => {
  const clock = { t: 0 };
  const s = openSqliteStore({ path: ':memory:', durability: 'normal', now: () => clock.t, expirySweepMs: 20 });
  await Promise.all(Array.from({ length: 1200 }, (_, i) => s.create(`/e/${i}`, { i }, { ttlSeconds: 1 })));
  clock.t += 1000;
  while ((await s.count('/e/')) > 0) await new Promise((r) => setTimeout(r, 20));
  assert.equal(await s.expireDue(), 0);
  await s.close();
});

test('a TTL that is not whole seconds within the bound etcd takes is refused', async () => {
  const { s } = store();
  for (const ttlSeconds of [-1, 1.5, 9_000_000_001, Number.NaN]) {
    await assert.rejects(s.create('/e/x', {}, { ttlSeconds }), (e) => e instanceof StorageError && /invalid TTL/.test(e.message));
  }
  assert.equal(await s.get('/e/x'), undefined);
  await s.close();
});

test('refreshExpiries: a table an earlier build made gains ttl, and its rows get the fallback TTL', () => {
  const db = new Database(':memory:');
  assert.equal(refreshExpiries(db, 5000, 3600), 0, 'a store without the table');
  db.exec('CREATE TABLE expiry (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL, revision INTEGER NOT NULL) WITHOUT ROWID');
  db.prepare('INSERT INTO expiry (key, expires_at, revision) VALUES (?, ?, ?)').run('/e/old', 1, 7);
  assert.equal(refreshExpiries(db, 5000, 3600), 1);
  assert.deepEqual(db.prepare('SELECT key, expires_at, revision, ttl FROM expiry').all(), [{ key: '/e/old', expires_at: 5000 + 3_600_000, revision: 7, ttl: 0 }]);
  db.prepare('UPDATE expiry SET ttl = 2').run();
  refreshExpiries(db, 9000, 3600);
  assert.equal((db.prepare('SELECT expires_at FROM expiry').get() as { expires_at: number }).expires_at, 11_000);
  db.close();
});

test('expiryPrefix: up to the fourth slash, else the last; none is every key', () => {
  // The store's key layout (api/registry/resource-def.ts storagePrefix): one prefix per resource.
  assert.equal(expiryPrefix(objectKey({ group: 'events.k8s.io', storageGroup: 'core', resource: 'events', namespaced: true }, 'ns', 'e')), '/registry/core/events/');
  assert.equal(expiryPrefix(objectKey({ group: '', resource: 'pods', namespaced: true }, 'ns', 'p')), '/registry/core/pods/');
  assert.equal(expiryPrefix(objectKey({ group: 'apps', resource: 'deployments', namespaced: true }, 'ns', 'd')), '/registry/apps/deployments/');
  assert.equal(expiryPrefix('/registry/core/nodes/n'), '/registry/core/nodes/');
  assert.equal(expiryPrefix('/e/a'), '/e/');
  assert.equal(expiryPrefix('/a'), '/');
  assert.equal(expiryPrefix('abc'), '');
});

/** A SqliteExpiry on `db` whose row deletes are recorded (the statement a write without a TTL may run). */
function countingExpiry(db: Database.Database): { expiry: SqliteExpiry; deletes: string[]; rows: () => string[] } {
  const deletes: string[] = [];
  const prepare = db.prepare.bind(db);
  const counting = ((sql: string) => {
    const st = prepare(sql);
    if (sql.startsWith('DELETE FROM expiry')) {
      const run = st.run.bind(st);
      st.run = ((key: string) => {
        deletes.push(key);
        return run(key);
      }) as typeof st.run;
    }
    return st;
  }) as typeof db.prepare;
  db.prepare = counting;
  try {
    const expiry = new SqliteExpiry(db, () => 0);
    return { expiry, deletes, rows: () => prepare<[], { key: string }>('SELECT key FROM expiry ORDER BY key').all().map((r) => r.key) };
  } finally {
    db.prepare = prepare;
  }
}

test('a write without a TTL deletes an expiry row only under a prefix where keys expire, also after a restart', () => {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE current (key TEXT PRIMARY KEY, revision INTEGER NOT NULL)');
  const a = countingExpiry(db);
  a.expiry.written('/registry/core/pods/ns/p', 1, 0);
  a.expiry.written('/registry/core/events/ns/e1', 2, 60);
  a.expiry.written('/registry/core/events/ns/e2', 3, 60);
  // Pods never expired: their writes leave the table alone.
  a.expiry.written('/registry/core/pods/ns/p', 4, 0);
  a.expiry.deleted('/registry/core/pods/ns/p');
  assert.deepEqual(a.deletes, []);
  // An Event written without a TTL, or deleted, loses its row.
  a.expiry.written('/registry/core/events/ns/e1', 5, 0);
  a.expiry.deleted('/registry/core/events/ns/other');
  assert.deepEqual(a.deletes, ['/registry/core/events/ns/e1', '/registry/core/events/ns/other']);
  a.expiry.written('/x/y', 6, 60);
  assert.deepEqual(a.rows(), ['/registry/core/events/ns/e2', '/x/y']);

  // A new instance over the same table finds the prefixes of the rows it holds.
  const b = countingExpiry(db);
  b.expiry.written('/registry/core/pods/ns/p', 7, 0);
  b.expiry.written('/registry/core/eventsX/ns/e', 8, 0);
  b.expiry.written('/x', 9, 0);
  assert.deepEqual(b.deletes, []);
  b.expiry.written('/x/y', 10, 0);
  b.expiry.written('/registry/core/events/ns/e2', 11, 0);
  assert.deepEqual(b.deletes, ['/x/y', '/registry/core/events/ns/e2']);
  assert.deepEqual(b.rows(), []);

  // Past MAX_EXPIRY_PREFIXES distinct prefixes every write deletes again.
  for (let i = 0; i <= MAX_EXPIRY_PREFIXES; i++) b.expiry.give(`/p${i}/k`, 0, 60);
  b.expiry.written('/registry/core/pods/ns/p', 12, 0);
  assert.deepEqual(b.deletes.at(-1), '/registry/core/pods/ns/p');
  db.close();
});
