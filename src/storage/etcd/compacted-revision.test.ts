import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findCompactedRevision } from './compacted-revision.ts';
import { COMPACTED_MESSAGE } from './errors.ts';

/** A fake etcd whose history starts at `compactedAt` (0: never compacted). */
function readerAt(compactedAt: number, reads: number[] = []) {
  return async (rev: number) => {
    reads.push(rev);
    if (rev < compactedAt) throw new Error(`etcdserver: mvcc: ${COMPACTED_MESSAGE}`);
  };
}

test('finds the compact revision by reads at revisions', async () => {
  for (const [current, compacted] of [[1, 0], [100, 0], [100, 2], [100, 57], [100, 100], [1_000_000, 765_432]]) {
    const reads: number[] = [];
    assert.equal(await findCompactedRevision(current, readerAt(compacted, reads)), compacted, `${compacted} of ${current}`);
    assert.ok(reads.length <= Math.ceil(Math.log2(current)) + 1, 'a binary search');
  }
});

test('other errors are not taken for compaction', async () => {
  await assert.rejects(findCompactedRevision(10, async () => Promise.reject(new Error('14 UNAVAILABLE'))), /UNAVAILABLE/);
});
