import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linkSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diskUsage, emptyDirOverLimit } from './empty-dir-limit.ts';

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
    assert.equal(await emptyDirOverLimit(pod('128Ki', 'Memory'), () => dir), undefined, 'tmpfs enforces its own size');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
