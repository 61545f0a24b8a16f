import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireRoot } from '../../../../test/helpers/real-parts.ts';
import { setVolumeOwnership } from './ownership.ts';

test('fsGroup walk: files g+rw, directories g+rwx and setgid, symlinks get the group but are not followed', { skip: requireRoot('chown to another group') }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'own-'));
  try {
    const vol = join(dir, 'vol');
    mkdirSync(join(vol, 'sub'), { recursive: true });
    chmodSync(vol, 0o755);
    chmodSync(join(vol, 'sub'), 0o700);
    writeFileSync(join(vol, 'sub', 'f'), 'x');
    chmodSync(join(vol, 'sub', 'f'), 0o600);
    const outside = join(dir, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'host'), 'h');
    chmodSync(join(outside, 'host'), 0o600);
    symlinkSync(join(outside, 'host'), join(vol, 'to-file'));
    symlinkSync(outside, join(vol, 'to-dir'));

    await setVolumeOwnership(vol, 2000, false);
    const mode = (p: string) => statSync(p).mode & 0o7777;
    assert.deepEqual([statSync(vol).gid, mode(vol)], [2000, 0o2775]);
    assert.deepEqual([statSync(join(vol, 'sub')).gid, mode(join(vol, 'sub'))], [2000, 0o2770]);
    assert.deepEqual([statSync(join(vol, 'sub', 'f')).gid, mode(join(vol, 'sub', 'f'))], [2000, 0o660]);
    assert.equal(lstatSync(join(vol, 'to-file')).gid, 2000, 'the symlink itself gets the group');
    assert.deepEqual([statSync(join(outside, 'host')).gid, mode(join(outside, 'host'))], [0, 0o600], 'what a symlink points at is untouched');
    assert.deepEqual([statSync(outside).gid, mode(outside) & 0o2000], [0, 0], 'a symlinked directory is not walked');

    await setVolumeOwnership(join(vol, 'sub'), 3000, true);
    assert.deepEqual([statSync(join(vol, 'sub', 'f')).gid, mode(join(vol, 'sub', 'f'))], [3000, 0o660 | 0o440]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
