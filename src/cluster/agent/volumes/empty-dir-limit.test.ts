import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linkSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diskUsage, emptyDirOverLimit } from './empty-dir-limit.ts';
import { du } from '../disk-usage.ts';

test('a disk emptyDir over its sizeLimit gives upstream eviction message; hard links count once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ed-'));
  try {
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'f'), Buffer.alloc(256 * 1024, 1));
    linkSync(join(dir, 'sub', 'f'), join(dir, 'again'));
    const used = await diskUsage(dir);
    assert.ok(used >= 256 * 1024 && used < 300 * 1024, String(used));
    const pod = (sizeLimit: string, medium?: string) => ({ spec: { containers: [], volumes: [{ name: 'scratch', emptyDir: { sizeLimit, ...(medium ? { medium } : {}) } }] } });
    assert.equal(await emptyDirOverLimit(pod('128Ki'), () => dir), 'Usage of EmptyDir volume "scratch" exceeds the limit "128Ki". ');
    assert.equal(await emptyDirOverLimit(pod('1Mi'), () => dir), undefined);
    assert.equal(await emptyDirOverLimit(pod('0.125Mi'), () => dir), 'Usage of EmptyDir volume "scratch" exceeds the limit "128Ki". ', 'printed as Quantity.String()');
    assert.equal(await emptyDirOverLimit(pod('128Ki', 'Memory'), () => dir), undefined, 'tmpfs enforces its own size');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the walk stops once past maxBytes; files with one link are counted, each once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ed-'));
  try {
    for (let i = 0; i < 40; i++) writeFileSync(join(dir, `f${i}`), Buffer.alloc(64 * 1024, 1));
    const all = await du(dir);
    assert.equal(all.inodes, 41, 'the directory and its 40 files');
    assert.ok(all.bytes >= 40 * 64 * 1024, String(all.bytes));
    const capped = await du(dir, Number.POSITIVE_INFINITY, 256 * 1024);
    assert.ok(capped.bytes > 256 * 1024 && capped.bytes < all.bytes, `${capped.bytes} of ${all.bytes}`);
    assert.ok(capped.inodes < all.inodes, `${capped.inodes} inodes`);
    const pod = { spec: { containers: [], volumes: [{ name: 'scratch', emptyDir: { sizeLimit: '256Ki' } }] } };
    assert.equal(await emptyDirOverLimit(pod, () => dir), 'Usage of EmptyDir volume "scratch" exceeds the limit "256Ki". ');
    assert.equal(await du(dir, 10).then((r) => r.inodes), 10, 'the inode limit still holds');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
