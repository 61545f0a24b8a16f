import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkHostPathType } from './host-path.ts';

test('hostPath types: created when asked, else checked with upstream messages', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hp-'));
  try {
    const file = join(dir, 'f');
    writeFileSync(file, 'x');
    await assert.rejects(checkHostPathType({ path: file, type: 'Directory' }), { message: `hostPath type check failed: ${file} is not a directory` });
    await assert.rejects(checkHostPathType({ path: dir, type: 'File' }), { message: `hostPath type check failed: ${dir} is not a file` });
    await assert.rejects(checkHostPathType({ path: dir, type: 'Socket' }), { message: `hostPath type check failed: ${dir} is not a socket file` });
    await assert.rejects(checkHostPathType({ path: dir, type: 'CharDevice' }), { message: `hostPath type check failed: ${dir} is not a character device` });
    await assert.rejects(checkHostPathType({ path: dir, type: 'BlockDevice' }), { message: `hostPath type check failed: ${dir} is not a block device` });
    await assert.rejects(checkHostPathType({ path: join(dir, 'none'), type: 'Directory' }), /is not a directory/);
    await checkHostPathType({ path: '/dev/null', type: 'CharDevice' });
    await checkHostPathType({ path: join(dir, 'new/deeper'), type: 'DirectoryOrCreate' });
    assert.ok(statSync(join(dir, 'new/deeper')).isDirectory());
    await checkHostPathType({ path: join(dir, 'nf'), type: 'FileOrCreate' });
    assert.ok(statSync(join(dir, 'nf')).isFile());
    await assert.rejects(checkHostPathType({ path: file, type: 'DirectoryOrCreate' }), /is not a directory/);
    await assert.rejects(checkHostPathType({ path: dir, type: 'FileOrCreate' }), /is not a file/);
    await checkHostPathType({ path: join(dir, 'anything') });
    await assert.rejects(checkHostPathType({ path: dir, type: 'Weird' }), { message: 'Weird is an invalid volume type' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
