/**
 * SQLite online backup (SqliteStore.backup, better-sqlite3's db.backup on the serving connection):
 * taken while creates and updates keep committing, the copy is a whole, consistent store: it opens
 * as a snapshot, and it holds exactly the state of the original at the copy's revision (every key,
 * value and revision), neither torn nor missing a write it claims to include.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { snapshotStatus } from '../../src/cli/snapshot.ts';
import { openSqliteStore } from '../../src/storage/sqlite.ts';

test('a backup taken while writes continue is the consistent state at its revision', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-online-backup-'));
  const store = openSqliteStore({ path: join(dir, 'state.db'), durability: 'normal' });
  try {
    // Enough data that the copy takes several steps, with writers in between.
    const big = 'x'.repeat(4000);
    for (let i = 0; i < 300; i++) await store.create(`/registry/core/configmaps/default/seed-${i}`, { metadata: { name: `seed-${i}` }, data: { big } });
    let stop = false;
    let writes = 0;
    const writer = (async () => {
      for (let i = 0; !stop; i++) {
        await store.create(`/registry/core/configmaps/default/during-${i}`, { metadata: { name: `during-${i}` }, data: { i: String(i), big } });
        const seed = await store.get(`/registry/core/configmaps/default/seed-${i % 300}`);
        await store.update(seed!.key, { ...(seed!.value as object), data: { big, n: String(i) } }, seed!.modRevision);
        writes += 2;
      }
    })();
    const file = join(dir, 'backup.db');
    const startRevision = store.currentRevision();
    await store.backup(file);
    stop = true;
    await writer;
    assert.ok(writes > 0, 'writes went on during the backup');
    const status = snapshotStatus(file);
    const copy = openSqliteStore({ path: file, durability: 'normal' });
    try {
      assert.equal(copy.currentRevision(), status.revision);
      assert.ok(status.revision > startRevision, 'writes committed during the copy are in it');
      const inCopy = (await copy.list('/registry/')).items;
      const atThen = (await store.list('/registry/', { atRevision: status.revision })).items;
      assert.equal(inCopy.length, status.keys);
      assert.deepEqual(inCopy, atThen);
      assert.ok(store.currentRevision() > status.revision || writes === 0, 'the original moved on after the copy');
    } finally {
      await copy.close();
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
