import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuncRuntime } from './runc.ts';
import type { ContainerMeta } from './state-files.ts';

/**
 * A container's state files as the shim leaves them, by hand (no runc needed): meta.json, a pid
 * (this process, so it is alive) and the stdout/stderr FIFOs the runtime's log relay reads.
 */
function fakeContainer(root: string, id: string): { dir: string; logPath: string } {
  const dir = join(root, 'state', 'containers', id);
  mkdirSync(dir, { recursive: true });
  const logPath = join(root, 'logs', `${id}.log`);
  mkdirSync(join(root, 'logs'), { recursive: true });
  const meta: ContainerMeta = {
    kind: 'container', id, sandboxId: 'sb', pod: { uid: 'u', namespace: 'ns', name: 'p' }, name: 'c', attempt: 0,
    imageRef: 'img', imageDigest: 'sha256:0', createdAt: new Date(0).toISOString(), logPath, memcg: '',
  };
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
  execFileSync('mkfifo', [join(dir, 'stdout'), join(dir, 'stderr')]);
  writeFileSync(join(dir, 'pid'), String(process.pid));
  return { dir, logPath };
}

test("an exited container's status waits for its relay to write the last lines to the log (containerd's task.Delete io.Wait)", async () => {
  const root = mkdtempSync(join(tmpdir(), 'log-drain-'));
  const rt = new RuncRuntime({ stateRoot: join(root, 'state') });
  const fds: number[] = [];
  try {
    const { dir, logPath } = fakeContainer(root, 'c1');
    assert.equal((await rt.containerStatus('c1'))?.state, 'running', 'running: the relay attaches');
    const out = openSync(join(dir, 'stdout'), 'w');
    const err = openSync(join(dir, 'stderr'), 'w');
    fds.push(out, err);
    writeSync(out, 'first\n');
    // The exit is recorded while the output is still coming (the relay behind the shim).
    writeFileSync(join(dir, 'exit'), '3\n');
    setTimeout(() => {
      writeSync(out, 'last words\n');
      closeSync(out);
      closeSync(err);
      fds.length = 0;
    }, 200);
    const s = await rt.containerStatus('c1');
    assert.equal(s?.state, 'exited');
    assert.equal(s?.exitCode, 3);
    const log = readFileSync(logPath, 'utf8');
    assert.match(log, /stdout F first$/m);
    assert.match(log, /stdout F last words$/m, 'the last line is in the log when the exit is reported');
  } finally {
    for (const fd of fds) closeSync(fd);
    rt.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('a relay that never finishes (the pipes held open) delays the exited status once, by the bound', async () => {
  const root = mkdtempSync(join(tmpdir(), 'log-drain-'));
  const rt = new RuncRuntime({ stateRoot: join(root, 'state'), logDrainTimeoutMs: 100 });
  const fds: number[] = [];
  try {
    const { dir } = fakeContainer(root, 'c2');
    assert.equal((await rt.containerStatus('c2'))?.state, 'running');
    fds.push(openSync(join(dir, 'stdout'), 'w'), openSync(join(dir, 'stderr'), 'w'));
    writeFileSync(join(dir, 'exit'), '0\n');
    assert.equal((await rt.containerStatus('c2'))?.state, 'exited', 'reported after the bound');
    assert.equal((await rt.containerStatus('c2'))?.state, 'exited', 'and again, without waiting anew');
  } finally {
    for (const fd of fds) closeSync(fd);
    rt.close();
    rmSync(root, { recursive: true, force: true });
  }
});
