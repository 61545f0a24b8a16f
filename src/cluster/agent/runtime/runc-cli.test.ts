import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Launcher } from './launcher.ts';
import { RuncError, runcDelete, runcKill } from './runc-cli.ts';

test('kill and delete through the launcher: arguments passed, not-found tolerated, other failures are RuncErrors', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'runc-cli-test-'));
  const launcher = new Launcher();
  t.after(async () => {
    launcher.close();
    await rm(dir, { recursive: true, force: true });
  });
  // A stand-in runc: records its arguments; "gone" does not exist, "bad" fails otherwise.
  const fake = join(dir, 'runc');
  await writeFile(fake, `#!/bin/sh\necho "$@" >> ${join(dir, 'calls')}\ncase "$*" in\n  *gone*) echo 'container does not exist' >&2; exit 1;;\n  *bad*) echo 'cgroup busy' >&2; exit 2;;\nesac\n`);
  await chmod(fake, 0o755);
  const cli = { binary: fake, root: join(dir, 'state'), launcher };
  await runcKill(cli, 'c1', 'TERM');
  await runcKill(cli, 'gone', 'KILL');
  await runcDelete(cli, 'gone');
  await assert.rejects(runcDelete(cli, 'bad'), (err: unknown) => err instanceof RuncError && err.code === 2 && /runc delete failed: cgroup busy/.test(err.message));
  assert.deepEqual((await readFile(join(dir, 'calls'), 'utf8')).trim().split('\n'), [
    `--root ${join(dir, 'state')} kill c1 TERM`,
    `--root ${join(dir, 'state')} kill gone KILL`,
    `--root ${join(dir, 'state')} delete --force gone`,
    `--root ${join(dir, 'state')} delete --force bad`,
  ]);
});
