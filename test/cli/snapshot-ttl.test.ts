/**
 * A restored snapshot's expiring keys (Events under --event-ttl) start their TTL again from the
 * restore, as etcd's lessor gives every recovered lease its TTL again (Lease.refresh on
 * Promote): the SQLite store keeps wall-clock expiries, which an old snapshot has all passed.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { restoreSnapshot, saveSnapshot } from '../../src/cli/snapshot.ts';
import { openSqliteStore } from '../../src/storage/sqlite.ts';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-snapshot-ttl-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const HOUR = 3_600_000;

test('restore: each expiry is its TTL from the restore, not the wall-clock time it had', async () => {
  const clock = { t: 1_000_000_000 };
  const open = (d: string) => openSqliteStore({ path: join(d, 'state.db'), durability: 'normal', now: () => clock.t, expirySweepMs: 2 ** 30 });
  const src = join(dir, 'src');
  mkdirSync(src, { mode: 0o700 });
  const s = open(src);
  await s.create('/registry/core/events/default/hour', { n: 1 }, { ttlSeconds: 3600 });
  await s.create('/registry/core/events/default/minute', { n: 2 }, { ttlSeconds: 60 });
  await s.create('/registry/core/events/default/unknown', { n: 3 }, { ttlSeconds: 60 });
  await s.create('/registry/pods/default/p', { n: 4 });
  await s.close();
  // A row as a build before the TTL was kept with it wrote it: the restore gives it the default 1 h.
  const db = new Database(join(src, 'state.db'));
  db.prepare("UPDATE expiry SET ttl = 0 WHERE key LIKE '%/unknown'").run();
  db.close();
  const file = join(dir, 'snap.db');
  await saveSnapshot(src, file);

  // Restored two days later: every expiry of the snapshot has passed on the wall clock.
  clock.t += 48 * HOUR;
  const dst = join(dir, 'dst');
  await restoreSnapshot(file, dst, () => clock.t);
  assert.deepEqual(readdirSync(dst).sort(), ['state.db'], 'the refreshed copy leaves no write-ahead log behind');
  const r = open(dst);
  try {
    assert.equal(await r.expireDue(), 0, 'nothing expires at the restore');
    clock.t += 59_999;
    assert.equal(await r.expireDue(), 0);
    clock.t += 1;
    assert.equal(await r.expireDue(), 1);
    assert.equal(await r.get('/registry/core/events/default/minute'), undefined);
    clock.t += HOUR - 60_000 - 1;
    assert.equal(await r.expireDue(), 0);
    clock.t += 1;
    assert.equal(await r.expireDue(), 2, 'the 1 h TTL and the unknown one (1 h) end together');
    assert.deepEqual((await r.list('/registry/')).items.map((o) => o.key), ['/registry/pods/default/p']);
  } finally {
    await r.close();
  }
});
