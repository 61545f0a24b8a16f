import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireRoot } from '../../../../test/helpers/real-parts.ts';
import { unmountAll } from './mounts.ts';
import { prepareSubPath, SubPathError } from './subpath.ts';

test('subPath: bind-mounted from inside the volume; a symlink out of it is refused', { skip: requireRoot('subPath bind mounts') }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sp-'));
  const vol = join(dir, 'vol');
  const subs = join(dir, 'subs');
  try {
    mkdirSync(join(vol, 'data'), { recursive: true });
    writeFileSync(join(vol, 'data', 'f'), 'inside');
    writeFileSync(join(dir, 'secret'), 'outside');
    symlinkSync('../../secret', join(vol, 'data', 'escape'));
    symlinkSync('f', join(vol, 'data', 'ok-link'));

    const d = await prepareSubPath({ volumePath: vol, subPath: 'data', target: join(subs, '0') });
    assert.equal(readFileSync(join(d, 'f'), 'utf8'), 'inside');
    const f = await prepareSubPath({ volumePath: vol, subPath: 'data/ok-link', target: join(subs, '1') });
    assert.equal(readFileSync(f, 'utf8'), 'inside', 'a symlink that stays inside is followed');
    await assert.rejects(prepareSubPath({ volumePath: vol, subPath: 'data/escape', target: join(subs, '2') }), (e: Error) => e instanceof SubPathError && /not within volume path/.test(e.message));
    await assert.rejects(prepareSubPath({ volumePath: vol, subPath: '../x', target: join(subs, '3') }), SubPathError);
    // A missing directory is made inside the volume.
    const made = await prepareSubPath({ volumePath: vol, subPath: 'new/dir', target: join(subs, '4') });
    writeFileSync(join(made, 'w'), 'x');
    assert.equal(readFileSync(join(vol, 'new/dir/w'), 'utf8'), 'x');
  } finally {
    await unmountAll(subs);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('subPath: missing directories are made inside the volume only, through symlinks that stay inside', { skip: requireRoot('subPath bind mounts') }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sp-'));
  const vol = join(dir, 'vol');
  const outside = join(dir, 'outside');
  const subs = join(dir, 'subs');
  try {
    mkdirSync(join(vol, 'in'), { recursive: true });
    mkdirSync(outside);
    symlinkSync('../outside', join(vol, 'out-link'));
    symlinkSync('in', join(vol, 'in-link'));
    writeFileSync(join(vol, 'file'), '');
    await assert.rejects(prepareSubPath({ volumePath: vol, subPath: 'out-link/made', target: join(subs, '0') }), (e: Error) => e instanceof SubPathError && /not within volume path/.test(e.message));
    assert.equal(existsSync(join(outside, 'made')), false, 'nothing is made outside the volume');
    const made = await prepareSubPath({ volumePath: vol, subPath: 'in-link/a/b', target: join(subs, '1') });
    writeFileSync(join(made, 'w'), 'x');
    assert.equal(readFileSync(join(vol, 'in/a/b/w'), 'utf8'), 'x', 'made under the directory the symlink names');
    await assert.rejects(prepareSubPath({ volumePath: vol, subPath: 'file/x', target: join(subs, '2') }), /ENOTDIR/);
  } finally {
    await unmountAll(subs);
    rmSync(dir, { recursive: true, force: true });
  }
});
