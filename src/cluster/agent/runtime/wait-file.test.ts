import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForFiles } from './wait-file.ts';

const has = (p: string) => access(p).then(() => true, () => false);

test('a file renamed into place wakes the wait (the poll alone would take a minute)', { timeout: 20_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wait-file-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  let checks = 0;
  const waiting = waitForFiles(dir, async () => {
    checks++;
    return (await has(join(dir, 'exit'))) ? 'exited' : undefined;
  }, 120_000, 60_000);
  setTimeout(() => void writeFile(join(dir, 'exit.tmp'), '0\n').then(() => rename(join(dir, 'exit.tmp'), join(dir, 'exit'))), 50);
  assert.equal(await waiting, 'exited');
  assert.ok(checks >= 2, 'checked at the start and after the change');
});

test('the answer already there, a timeout with a last check, no watch on a missing directory, a failing check', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wait-file-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'pid'), '1\n');
  assert.equal(await waitForFiles(dir, async () => ((await has(join(dir, 'pid'))) ? 'running' : undefined), 0), 'running');
  assert.equal(await waitForFiles(dir, async () => undefined, 30), undefined);
  let n = 0;
  assert.equal(await waitForFiles(join(dir, 'gone'), async () => (++n >= 3 ? n : undefined), 20_000, 5), 3, 'the poll carries on without a watch');
  await assert.rejects(waitForFiles(dir, async () => { throw new Error('unreadable'); }, 1000), /unreadable/);
});
