import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './write-file-atomic.ts';
import { withTempDir } from '../../test/helpers/temp-dir.ts';

test('writeFileAtomic replaces the file with exactly the mode asked for; a failed rename leaves no temporary file', () =>
  withTempDir('write-atomic-', async (dir) => {
    const path = join(dir, 'key.pem');
    writeFileSync(path, 'old', { mode: 0o644 });
    writeFileAtomic(path, 'new', 0o600);
    assert.equal(readFileSync(path, 'utf8'), 'new');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    // A non-empty directory where the file should go: the rename fails.
    mkdirSync(join(dir, 'taken', 'x'), { recursive: true });
    assert.throws(() => writeFileAtomic(join(dir, 'taken'), 'v', 0o600));
    assert.deepEqual(readdirSync(dir).sort(), ['key.pem', 'taken']);
  }));
