import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { du } from './disk-usage.ts';

test('du counts as GNU du -s: allocated blocks, hard links once, symlinks not followed, across slices and deep nesting', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'du-'));
  try {
    // More inodes than one slice, so the walk yields to the event loop on the way.
    for (let d = 0; d < 5; d++) {
      mkdirSync(join(dir, `d${d}`));
      for (let f = 0; f < 600; f++) writeFileSync(join(dir, `d${d}`, `f${f}`), f % 7 === 0 ? Buffer.alloc(9000, 1) : 'x');
    }
    linkSync(join(dir, 'd0', 'f0'), join(dir, 'd1', 'again'));
    symlinkSync('/usr', join(dir, 'd2', 'out'));
    let deep = dir;
    for (let i = 0; i < 300; i++) mkdirSync((deep = join(deep, 'n')));
    writeFileSync(join(deep, 'bottom'), Buffer.alloc(20000, 1));
    const got = await du(dir);
    const gnu = Number(execFileSync('du', ['-s', '-B1', dir], { encoding: 'utf8' }).split('\t')[0]);
    assert.equal(got.bytes, gnu);
    // The directory, 5 directories of 600 files, the symlink (the hard link is f0 again), 300 nested directories and the file at the bottom.
    assert.equal(got.inodes, 1 + 5 * 601 + 1 + 300 + 1);
    const capped = await du(dir, 100);
    assert.equal(capped.inodes, 100, 'the inode cap holds');
    assert.equal(capped.truncated, true, 'and says the count is short');
    assert.equal(got.truncated, undefined, 'a whole walk is not truncated');
    assert.equal((await du(dir, got.inodes)).truncated, undefined, 'exactly the cap, nothing left: whole');
    assert.equal((await du(dir, Number.POSITIVE_INFINITY, 1)).truncated, undefined, 'stopping past maxBytes is not truncation: the caller has its answer');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
