import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Launcher } from './launcher.ts';
import { createPodNamespaces, ensureSharedRoot, legacySandboxMounts, sandboxMounts, unmountAll, unmountByTable } from './pod-namespaces.ts';

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
  assert.deepEqual(sandboxMounts('/s', '/r/id'), ['/r/id/net', '/r/id/uts', '/r/id/ipc', '/s/shm']);
  assert.deepEqual(legacySandboxMounts('/s'), ['/s/ns/net', '/s/ns/uts', '/s/ns/ipc', '/s/ns', '/s/shm']);
});

test('unmountAll goes by device: no command for a plain file, a missing path or a directory', async (t) => {
  const dir = await scratch(t);
  const l = await silentLauncher(t, dir);
  await writeFile(join(dir, 'net'), '');
  // Any umount sent to this launcher would hang until the bound and fail.
  await unmountAll(l, [join(dir, 'net'), join(dir, 'gone'), dir], 200);
});

const root = process.getuid?.() === 0;
const skipRoot = root ? false : 'needs root (mount)';
if (!root && process.env.PORTCULLIS_REQUIRE_ALL === '1') throw new Error('pod-namespaces.test.ts needs root (PORTCULLIS_REQUIRE_ALL=1)');

/** The optional fields of the mounts on path, from this process's mount table. */
function mountLines(path: string): string[][] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')).filter((f) => f[4] === path).map((f) => f.slice(6, f.indexOf('-')));
}

test('the shared root is made once: a bind of itself, shared; found again without a command; made shared again if it was not', { skip: skipRoot }, async (t) => {
  const dir = await scratch(t);
  // A space, written \040 in the mount table.
  const nsRoot = join(dir, 'pod ns');
  const escaped = nsRoot.replace(' ', '\\040');
  const l = new Launcher();
  l.start();
  t.after(() => l.close());
  try {
    await sharedOnce(t, l, dir, nsRoot, escaped);
  } finally {
    // Before the scratch directory goes (the after hooks run after this).
    while (mountLines(escaped).length > 0) execFileSync('umount', [nsRoot]);
  }
});

async function sharedOnce(t: TestContext, l: Launcher, dir: string, nsRoot: string, escaped: string): Promise<void> {
  await ensureSharedRoot(l, nsRoot);
  assert.equal(mountLines(escaped).length, 1);
  assert.ok(mountLines(escaped)[0]!.some((tag) => tag.startsWith('shared:')), 'shared');
  // Already shared: no command (this launcher would hang on one), no second bind.
  await ensureSharedRoot(await silentLauncher(t, dir), nsRoot, 200);
  assert.equal(mountLines(escaped).length, 1);
  execFileSync('mount', ['--make-private', nsRoot]);
  await ensureSharedRoot(l, nsRoot);
  assert.equal(mountLines(escaped).length, 1, 'made shared in place, not bound again');
  assert.ok(mountLines(escaped)[0]!.some((tag) => tag.startsWith('shared:')));
}

test('unmountByTable sees a directory bound on itself, which unmountAll cannot tell from the directory', { skip: skipRoot }, async (t) => {
  const dir = await scratch(t);
  const ns = join(dir, 'ns');
  await mkdir(ns);
  execFileSync('mount', ['--bind', ns, ns]);
  const l = new Launcher();
  l.start();
  t.after(() => l.close());
  try {
    await unmountAll(l, [ns]);
    assert.equal(mountLines(ns).length, 1);
    await unmountByTable(l, [ns]);
    assert.equal(mountLines(ns).length, 0);
  } finally {
    if (mountLines(ns).length > 0) execFileSync('umount', [ns]);
  }
});
