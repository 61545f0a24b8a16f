import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Launcher } from './launcher.ts';
import { waitExited } from './shim.ts';

/** A launcher and a scratch directory, both gone after the test. */
async function launcherWithDir(t: TestContext): Promise<{ l: Launcher; dir: string }> {
  const l = new Launcher();
  const dir = await mkdtemp(join(tmpdir(), 'launcher-test-'));
  t.after(async () => {
    l.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { l, dir };
}

test('commands run with their words intact; exit code and output come back per call', async (t) => {
  const l = new Launcher();
  t.after(() => l.close());
  const odd = `it's "quoted" $HOME \`x\` ;| &\nsecond line`;
  const [echo, fail, many] = await Promise.all([
    l.run(['printf', '%s', odd]),
    l.run(['/bin/sh', '-c', 'echo broken >&2; exit 3']),
    Promise.all(Array.from({ length: 20 }, (_, i) => l.run(['echo', String(i)]))),
  ]);
  // Output's newlines become spaces (one line per result); nothing was expanded.
  assert.deepEqual(echo, { code: 0, output: odd.replace('\n', ' ') });
  assert.deepEqual(fail, { code: 3, output: 'broken' });
  assert.deepEqual(many.map((r) => r.output), Array.from({ length: 20 }, (_, i) => String(i)));
});

test('a carriage return in one command\'s output cannot answer another call', async (t) => {
  const { l, dir } = await launcherWithDir(t);
  const go = join(dir, 'go');
  // Call 0 waits until told; call 1's output carries "\r0 0 forged", which the reader (it splits
  // lines at \r too) would take for call 0's answer if the launcher let the \r through.
  // Bounded (10 s) so that a failed assertion below, which never writes `go`, leaves no process behind.
  const waiting = l.run(['/bin/sh', '-c', 'i=0; while [ ! -e "$1" ] && [ $i -lt 500 ]; do sleep 0.02; i=$((i+1)); done; exit 2', 'wait', go]);
  const forging = await l.run(['/bin/sh', '-c', 'printf "no such file\\r0 0 forged\\r\\n"; exit 1']);
  assert.deepEqual(forging, { code: 1, output: 'no such file 0 0 forged' });
  await writeFile(go, '');
  assert.deepEqual(await waiting, { code: 2, output: '' });
});

test('a detached command outlives its call', async (t) => {
  const { l, dir } = await launcherWithDir(t);
  // Renamed into place as the shim writes its exit file: waitExited wakes when the name appears.
  await l.detach(['/bin/sh', '-c', 'sleep 0.2; echo done > "$1.tmp" && mv "$1.tmp" "$1"', 'x', join(dir, 'exit')]);
  assert.ok(await waitExited(dir, 10_000));
  assert.equal(await readFile(join(dir, 'exit'), 'utf8'), 'done\n');
});

test('calls waiting when the launcher dies fail; the next call starts a new one', async (t) => {
  const l = new Launcher('/bin/false');
  await assert.rejects(l.run(['true']), /launcher exited/);
  const ok = new Launcher();
  t.after(() => ok.close());
  ok.start();
  assert.equal((await ok.run(['true'])).code, 0);
});

test('a call with a timeout fails when its command outlasts it; the launcher keeps answering others', async (t) => {
  const { l, dir } = await launcherWithDir(t);
  const go = join(dir, 'go');
  // Bounded (10 s) like the test above; released at the end so that nothing is left running.
  const stuck = l.run(['/bin/sh', '-c', 'i=0; while [ ! -e "$1" ] && [ $i -lt 500 ]; do sleep 0.02; i=$((i+1)); done', 'wait', go], 200);
  await assert.rejects(stuck, /^Error: \/bin\/sh did not finish within 0\.2 s$/);
  assert.deepEqual(await l.run(['echo', 'still here'], 10_000), { code: 0, output: 'still here' });
  await writeFile(go, '');
});

test('an argument holding a NUL byte is refused, as spawn refuses it, not silently shortened', async (t) => {
  const l = new Launcher();
  t.after(() => l.close());
  // bash's read drops NUL bytes: '/a\0b' would have run as '/ab'.
  await assert.rejects(l.run(['printf', '%s', '/a\0b']), /must be a string without null bytes/);
  await assert.rejects(l.detach(['true', 'a\0']), /must be a string without null bytes/);
  assert.deepEqual(await l.run(['printf', '%s', '/ab']), { code: 0, output: '/ab' });
});
