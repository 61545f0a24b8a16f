import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { list } from 'tar';
import { buildImage } from './build.ts';
import { blobPath } from './layout.ts';

test('image build keeps each file\'s permission bits (a sticky, world-writable /tmp stays 1777) and is reproducible', async () => {
  const work = mkdtempSync(join(tmpdir(), 'portcullis-build-'));
  try {
    const ctx = join(work, 'ctx');
    mkdirSync(join(ctx, 'tmp'), { recursive: true });
    chmodSync(join(ctx, 'tmp'), 0o1777);
    writeFileSync(join(ctx, 'shared'), 'x');
    chmodSync(join(ctx, 'shared'), 0o664);
    writeFileSync(join(ctx, 'tool'), '#!/bin/sh\n');
    chmodSync(join(ctx, 'tool'), 0o4755);
    const a = await buildImage({ contextDir: ctx, outputDir: join(work, 'a'), refName: 'v1' });
    const b = await buildImage({ contextDir: ctx, outputDir: join(work, 'b'), refName: 'v1' });
    assert.equal(a.layer.digest, b.layer.digest, 'the same tree gives the same layer');
    const modes = new Map<string, number>();
    const uids = new Set<number | undefined>();
    const tarPath = join(work, 'layer.tar');
    writeFileSync(tarPath, gunzipSync(readFileSync(blobPath(join(work, 'a'), a.layer.digest))));
    await list({ file: tarPath, onReadEntry: (e: { path: string; mode?: number; uid?: number }) => { modes.set(e.path, e.mode ?? -1); uids.add(e.uid); } } as never);
    assert.equal(modes.get('tmp/')?.toString(8), '1777');
    assert.equal(modes.get('shared')?.toString(8), '664');
    assert.equal(modes.get('tool')?.toString(8), '4755');
    assert.deepEqual([...uids].filter((u) => u !== undefined && u !== 0), [], 'entries carry no build-host owner');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
