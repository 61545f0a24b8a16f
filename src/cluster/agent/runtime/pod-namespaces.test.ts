import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Launcher } from './launcher.ts';
import { createPodNamespaces, sandboxMounts, unmountAll } from './pod-namespaces.ts';

async function scratch(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pod-ns-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A launcher whose shell takes commands and never answers: every command "hangs" in the kernel. */
async function silentLauncher(t: TestContext, dir: string): Promise<Launcher> {
  const bash = join(dir, 'silent-bash');
  await writeFile(bash, '#!/bin/sh\nexec cat >/dev/null\n');
  await chmod(bash, 0o755);
  const l = new Launcher(bash);
  t.after(() => l.close());
  return l;
}

test('a sandbox set-up that never ends fails with an error naming it, after the bound', async (t) => {
  const dir = await scratch(t);
  const l = await silentLauncher(t, dir);
  const sb = join(dir, 'sb');
  const files = { net: join(sb, 'ns', 'net'), uts: join(sb, 'ns', 'uts'), ipc: join(sb, 'ns', 'ipc') };
  // The command's own timeout is 0.2 s; the launcher gives up 5 s after it.
  await assert.rejects(createPodNamespaces(l, { files, hostname: 'p', sysctls: {}, shm: join(sb, 'shm'), timeoutMs: 200 }),
    /^Error: creating the pod's namespaces: \/bin\/sh did not finish within 0\.2 s and outlived SIGKILL \(stuck in the kernel\)$/);
});

test('an unmount that never ends fails with an error naming it', async (t) => {
  const dir = await scratch(t);
  const l = await silentLauncher(t, dir);
  // /proc is mounted, so unmountAll sends the command (which this launcher never runs).
  await assert.rejects(unmountAll(l, ['/proc'], 200), /^Error: umount \/proc: umount did not finish within 0\.2 s and outlived SIGKILL \(stuck in the kernel\)$/);
});

test('an unmount that hangs but can be killed is killed at the bound and fails the call', async (t) => {
  const dir = await scratch(t);
  // A umount that hangs, first on the launcher's PATH.
  await writeFile(join(dir, 'umount'), '#!/bin/sh\nexec sleep 30\n');
  await chmod(join(dir, 'umount'), 0o755);
  const path = process.env.PATH;
  process.env.PATH = `${dir}:${path}`;
  const l = new Launcher();
  l.start();
  process.env.PATH = path;
  t.after(() => l.close());
  await assert.rejects(unmountAll(l, ['/proc'], 200), /^Error: umount \/proc: umount did not finish within 0\.2 s and was killed$/);
});

test('sandbox mounts are listed each before the directory holding it', () => {
  const m = sandboxMounts('/s');
  assert.deepEqual(m, ['/s/ns/net', '/s/ns/uts', '/s/ns/ipc', '/s/ns', '/s/shm']);
});
