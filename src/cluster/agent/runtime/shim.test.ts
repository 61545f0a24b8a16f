import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Launcher } from './launcher.ts';
import { spawnShim, waitStarted } from './shim.ts';

test("a sandbox shim whose /dev/shm cannot be mounted exits without a pid, its error in setup.err", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'shim-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  // A path under a regular file: mkdir -p fails before any mount is tried, root or not.
  await writeFile(join(dir, 'file'), '');
  const shm = join(dir, 'file', 'shm');
  // runc is never reached: `false` stands in for it.
  const launcher = new Launcher();
  t.after(() => launcher.close());
  await spawnShim({ binary: '/bin/false', root: join(dir, 'runc') }, { dir, id: 'sb', memcg: '', stdin: '/dev/null', stdout: '/dev/null', stderr: '/dev/null', shm }, launcher);
  assert.equal(await waitStarted(dir, 10_000), 'exited');
  assert.match(await readFile(join(dir, 'setup.err'), 'utf8'), /file/);
  assert.equal((await readFile(join(dir, 'exit'), 'utf8')).trim(), '1');
  // The shim, started detached by the launcher, wrote its own pid.
  assert.match(await readFile(join(dir, 'shim.pid'), 'utf8'), /^\d+\n$/);
});
