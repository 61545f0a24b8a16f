/**
 * The store's own WAL checkpoints (sqlite-checkpoint.ts): SQLite's automatic checkpoint is off,
 * so without them the WAL would grow by every write; with them it stays near the threshold.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from './sqlite.ts';
import { WalSync } from './wal-sync.ts';

const THRESHOLD = 256 * 1024;
const VALUE = 'v'.repeat(4000);

for (const durability of ['full', 'normal'] as const) {
  test(`durability ${durability}: the WAL stays bounded while 8 MB is written, and every write survives a reopen`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-checkpoint-'));
    const path = join(dir, 'state.db');
    try {
      const store = openSqliteStore({ path, durability, walCheckpointBytes: THRESHOLD });
      const keys = Array.from({ length: 200 }, (_, i) => `/registry/core/configmaps/default/cm-${i}`);
      const revisions = new Map<string, number>();
      for (const key of keys) revisions.set(key, (await store.create(key, { n: 0, VALUE })).modRevision);
      let largestWal = 0;
      // 2,000 updates, 16 in flight as the API's writers keep them: about 8 MB of values.
      for (let round = 1; round <= 10; round++) {
        for (let at = 0; at < keys.length; at += 16) {
          const batch = keys.slice(at, at + 16);
          const written = await Promise.all(batch.map((key) => store.update(key, { n: round, VALUE }, revisions.get(key)!)));
          written.forEach((w, i) => revisions.set(batch[i]!, w.modRevision));
          largestWal = Math.max(largestWal, statSync(`${path}-wal`).size);
        }
      }
      // The WAL file never shrinks while open: its size is the most it ever held. The threshold is
      // an estimate of WAL bytes (sqlite-checkpoint.ts noteCommit), and a checkpoint waits for the
      // commit in flight (1.3 times the threshold here); without checkpoints the WAL passes 16 MB.
      assert.ok(largestWal <= 2 * THRESHOLD, `WAL ${largestWal} bytes, bound ${2 * THRESHOLD}`);
      const info = store.durabilityInfo();
      assert.ok(info.walCheckpoints >= 10, `checkpoints ran (${info.walCheckpoints})`);
      await store.close();
      const reopened = openSqliteStore({ path, durability });
      for (const key of keys) {
        const got = await reopened.get<{ n: number }>(key);
        assert.equal(got?.value.n, 10, key);
        assert.equal(got?.modRevision, revisions.get(key));
      }
      await reopened.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

test('one small write per commit (a Lease renewal) counts the pages it writes, not its bytes: the WAL stays bounded', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-checkpoint-'));
  const path = join(dir, 'state.db');
  try {
    const store = openSqliteStore({ path, durability: 'normal', walCheckpointBytes: THRESHOLD });
    const key = '/registry/coordination.k8s.io/leases/kube-node-lease/node-1';
    let revision = (await store.create(key, { renew: 0, pad: 'l'.repeat(400) })).modRevision;
    let largestWal = 0;
    for (let i = 1; i <= 1000; i++) {
      revision = (await store.update(key, { renew: i, pad: 'l'.repeat(400) }, revision)).modRevision;
      largestWal = Math.max(largestWal, statSync(`${path}-wal`).size);
    }
    // About 19 KB of WAL a commit here: counted by value bytes, the WAL would pass 10 MB.
    assert.ok(largestWal <= 2 * THRESHOLD, `WAL ${largestWal} bytes, bound ${2 * THRESHOLD}`);
    await store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("nothing is written between a checkpoint's copy and the sync of the database file: no commit, no compaction", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-checkpoint-'));
  const path = join(dir, 'state.db');
  const realSync = WalSync.prototype.sync;
  let openGate!: () => void;
  const gate = new Promise<void>((resolve) => (openGate = resolve));
  let held!: () => void;
  const holding = new Promise<void>((resolve) => (held = resolve));
  // Only the database file's sync (the checkpoint's last step) waits; the WAL's go through.
  WalSync.prototype.sync = async function (this: WalSync) {
    if (this.walPath === path) {
      held();
      await gate;
    }
    return realSync.call(this);
  };
  const commits: number[] = [];
  const store = openSqliteStore({ path, durability: 'normal', walCheckpointBytes: 64 * 1024, onCommit: (c) => commits.push(c.revision) });
  try {
    // Writes one at a time until a checkpoint holds; the write then in flight waits with the rest.
    let isHeld = false;
    void holding.then(() => (isHeld = true));
    const early: Promise<unknown>[] = [];
    for (let i = 0; i < 100 && !isHeld; i++) {
      early.push(store.create(`/k/${i}`, { VALUE }));
      await Promise.race([early.at(-1), holding]);
    }
    await holding;
    const revision = store.currentRevision();
    const committed = commits.length;
    const write = store.create('/k/during', { v: 1 });
    const compaction = store.compact(revision);
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(commits.length, committed, 'no commit while the copied pages are not durable');
    assert.equal(store.compactedRevision(), 0, 'no compaction write either');
    openGate();
    await Promise.all(early);
    assert.ok((await write).modRevision > revision);
    await compaction;
    assert.equal(store.compactedRevision(), revision);
    assert.equal(store.durabilityInfo().walCheckpoints >= 1, true);
  } finally {
    WalSync.prototype.sync = realSync;
    openGate();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('walCheckpointBytes must be a positive integer', () => {
  assert.throws(() => openSqliteStore({ path: ':memory:', walCheckpointBytes: 0 }), RangeError);
});
