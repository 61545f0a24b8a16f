/**
 * The SQLite store refuses what it cannot stand behind: an unsafe data directory, a database
 * that lost commits it had acknowledged, a damaged file; and readiness follows whether it accepts
 * writes. (Issue 11, findings 9, 11 and 13.)
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../src/storage/sqlite.ts';
import { highWaterPath } from '../../src/storage/high-water.ts';
import { runHealth, storeHealthCheck } from '../../src/server/health.ts';
import { startControlPlane } from '../../src/server/control-plane.ts';
import pino from 'pino';
import { startTestCluster } from '../helpers/cluster.ts';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-safety-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const mode = (path: string) => statSync(path).mode & 0o777;

/** Writes `n` commits one after another (each its own group commit and WAL frames). */
async function writeCommits(store: ReturnType<typeof openSqliteStore>, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await store.create(`/k/${String(i).padStart(4, '0')}`, { i, pad: 'x'.repeat(200) });
}

describe('data directory and file modes (finding 9)', () => {
  test('a group- or world-writable data directory is refused, naming the directory and its mode', () =>
    withDir(async (dir) => {
      for (const m of [0o770, 0o757, 0o777]) {
        chmodSync(dir, m);
        assert.throws(
          () => openSqliteStore({ path: join(dir, 'state.db') }),
          (err: Error) => err.message.includes(dir) && err.message.includes(`0${m.toString(8)}`) && /refusing to start/.test(err.message),
        );
      }
      chmodSync(dir, 0o755);
      const store = openSqliteStore({ path: join(dir, 'state.db') });
      await store.close();
    }));

  test('state.db, its WAL and the high-water mark are 0600 whatever the umask, in a directory that already existed', () =>
    withDir(async (dir) => {
      chmodSync(dir, 0o755);
      const old = process.umask(0);
      try {
        const path = join(dir, 'state.db');
        const store = openSqliteStore({ path });
        await store.create('/a', { a: 1 });
        assert.equal(mode(path), 0o600);
        assert.equal(mode(`${path}-wal`), 0o600);
        assert.equal(mode(highWaterPath(path)), 0o600);
        await store.close();
      } finally {
        process.umask(old);
      }
    }));

  test('an existing world-readable state.db is made private on open', () =>
    withDir(async (dir) => {
      const path = join(dir, 'state.db');
      await (openSqliteStore({ path })).close();
      chmodSync(path, 0o644);
      const store = openSqliteStore({ path });
      assert.equal(mode(path), 0o600);
      await store.close();
    }));
});

describe('revision high-water mark (finding 11)', () => {
  test('a deleted state.db in a data dir that was in use is refused, not a new empty cluster', () =>
    withDir(async (dir) => {
      const path = join(dir, 'state.db');
      const store = openSqliteStore({ path });
      await writeCommits(store, 5);
      await store.close();
      unlinkSync(path);
      assert.throws(() => openSqliteStore({ path }), /at revision 0 but revision 5 had been durably reached.*Refusing to start/s);
    }));

  test('an emptied (zero-length) state.db is refused', () =>
    withDir(async (dir) => {
      const path = join(dir, 'state.db');
      const store = openSqliteStore({ path });
      await writeCommits(store, 3);
      await store.close();
      truncateSync(path, 0);
      assert.throws(() => openSqliteStore({ path }), /revision 3 had been durably reached/);
    }));

  test('a flipped bit in the WAL that drops later acknowledged commits is refused', () =>
    withDir(async (dir) => {
      // A crash image: the files as a kill -9 leaves them, taken while the store is open and idle.
      const live = join(dir, 'live');
      const image = join(dir, 'image');
      mkdirSync(live, { mode: 0o700 });
      mkdirSync(image, { mode: 0o700 });
      const store = openSqliteStore({ path: join(live, 'state.db'), highWaterIntervalMs: 0 });
      await writeCommits(store, 40);
      await store.syncHighWater();
      for (const f of ['state.db', 'state.db-wal', 'state.db.hwm']) copyFileSync(join(live, f), join(image, f));
      await store.close();

      // Unharmed, the image opens at the acknowledged revision.
      const intact = join(dir, 'intact');
      mkdirSync(intact, { mode: 0o700 });
      for (const f of ['state.db', 'state.db-wal', 'state.db.hwm']) copyFileSync(join(image, f), join(intact, f));
      const ok = openSqliteStore({ path: join(intact, 'state.db') });
      assert.equal(ok.currentRevision(), 40);
      await ok.close();

      // One byte of an early frame's page flipped: SQLite replays only the commits before it.
      const wal = join(image, 'state.db-wal');
      const pageSize = readFileSync(wal).readUInt32BE(8);
      const frame = 10;
      const at = 32 + frame * (24 + pageSize) + 24 + 100;
      const buf = readFileSync(wal);
      assert.ok(buf.length > at, 'the WAL holds the commits');
      const fd = openSync(wal, 'r+');
      writeSync(fd, Buffer.from([buf[at]! ^ 0x01]), 0, 1, at);
      closeSync(fd);
      assert.throws(() => openSqliteStore({ path: join(image, 'state.db') }), /but revision 40 had been durably reached/);
    }));

  test('a damaged mark is refused; a store without one (older data dir) gets one', () =>
    withDir(async (dir) => {
      const path = join(dir, 'state.db');
      const s1 = openSqliteStore({ path });
      await writeCommits(s1, 2);
      await s1.close();
      unlinkSync(highWaterPath(path));
      const s2 = openSqliteStore({ path });
      assert.match(readFileSync(highWaterPath(path), 'utf8'), /\n2\n$/);
      await s2.close();
      writeFileSync(highWaterPath(path), 'garbage');
      assert.throws(() => openSqliteStore({ path }), /high-water mark .* is damaged/);
    }));
});

describe('corruption and readiness (finding 13)', () => {
  test('a stored value that does not parse is "database corrupt" naming the key, not a JSON error', () =>
    withDir(async (dir) => {
      const path = join(dir, 'state.db');
      const s1 = openSqliteStore({ path });
      await s1.create('/registry/configmaps/ns/bad', { a: 1 });
      await s1.close();
      const raw = new Database(path);
      raw.prepare("UPDATE log SET value = '{not json' WHERE key = ?").run('/registry/configmaps/ns/bad');
      raw.close();
      const s2 = openSqliteStore({ path });
      await assert.rejects(s2.get('/registry/configmaps/ns/bad'), /^StorageError: database corrupt: cannot decode value at \/registry\/configmaps\/ns\/bad$/);
      await assert.rejects(s2.list('/registry/configmaps/'), /database corrupt: cannot decode value at \/registry\/configmaps\/ns\/bad/);
      await s2.close();
    }));

  test('a file that is not a database says "database corrupt"', () =>
    withDir(async (dir) => {
      const path = join(dir, 'state.db');
      writeFileSync(path, Buffer.alloc(8192, 0x5a));
      assert.throws(() => openSqliteStore({ path }), /database corrupt: .*not a database/);
    }));

  test('readiness fails while writes fail (store full) and recovers when they succeed again', () =>
    withDir(async (dir) => {
      let now = 0;
      const store = openSqliteStore({ path: join(dir, 'state.db'), quotaBytes: 256 * 1024, now: () => now });
      const check = storeHealthCheck(store, '/none');
      const ready = () => runHealth('readyz', [check], true);
      assert.equal((await ready())!.code, 200);
      // Fill the store until a write is refused.
      let i = 0;
      let full: Error | undefined;
      while (!full && i < 10_000) {
        await store.create(`/fill/${i++}`, { pad: 'y'.repeat(2000) }).catch((err: Error) => (full = err));
      }
      assert.match(String(full), /database or disk is full/);
      const answer = (await ready())!;
      assert.equal(answer.code, 500);
      assert.equal(answer.text, '[-]etcd failed: reason withheld\nreadyz check failed\n');
      // Room again: the next probe write succeeds and readiness returns.
      for (let k = 0; k < i / 2; k++) await store.delete(`/fill/${k}`).catch(() => undefined);
      await store.compact(store.currentRevision());
      const raw = (store as unknown as { db: Database.Database }).db;
      raw.pragma('max_page_count = 1000000');
      now += 10_000;
      assert.equal((await ready())!.code, 200);
      await store.close();
    }));

  test('durability full: every acknowledged write was in a completed WAL sync, and readers never see one before it', () =>
    withDir(async (dir) => {
      const store = openSqliteStore({ path: join(dir, 'state.db'), durability: 'full' });
      const info0 = store.durabilityInfo();
      assert.equal(info0.syncedBeforeAck, true);
      assert.equal(info0.synchronous, 1, 'SQLite itself does not sync per commit: the store does, off the event loop');
      const pending = store.create('/p', { v: 1 });
      // Our immediate runs after the store's flush in the same check phase: the commit is written,
      // its sync cannot have been reported yet.
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(store.currentRevision(), 0);
      assert.equal(await store.get('/p'), undefined);
      assert.deepEqual((await store.list('/')).items, []);
      assert.equal(await store.count('/'), 0);
      const done = await pending;
      assert.equal(done.modRevision, 1);
      assert.ok(store.durabilityInfo().walSyncs > info0.walSyncs);
      assert.deepEqual((await store.get('/p'))?.value, { v: 1 });
      await store.close();
      const normal = openSqliteStore({ path: join(dir, 'n.db'), durability: 'normal' });
      assert.equal(normal.durabilityInfo().syncedBeforeAck, false);
      await normal.close();
    }));
});

describe('through the control plane', () => {
  test('a data dir in use (PKI present) whose state.db was deleted refuses to start instead of serving an empty cluster', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-safety-cp-'));
    try {
      const cluster = await startTestCluster({ dataDir: dir, keep: true });
      const made = await cluster.admin.post('/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kept' } });
      assert.equal(made.status, 201);
      await cluster.close();
      assert.ok(statSync(join(dir, 'pki')).isDirectory());
      unlinkSync(join(dir, 'state.db'));
      await assert.rejects(
        startControlPlane({ dataDir: dir, port: 0, bindAddress: '127.0.0.1', logger: pino({ level: 'silent' }) }),
        /store .*state\.db is at revision 0 but revision \d+ had been durably reached.*Refusing to start/s,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
