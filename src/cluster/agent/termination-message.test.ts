import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerStatus } from './runtime/types.ts';
import { bytesPerStatus, readAtMost, terminationMessage, truncateBytes } from './termination-message.ts';

function exited(logPath: string, exitCode: number, extra: Partial<ContainerStatus> = {}): ContainerStatus {
  return { id: 'c1', sandboxId: 's', pod: { uid: 'u', namespace: 'ns', name: 'p' }, name: 'c', attempt: 0, imageRef: 'img', imageDigest: '', state: 'exited', createdAt: '', exitCode, reason: exitCode ? 'Error' : 'Completed', logPath, ...extra };
}

const criLog = (lines: readonly string[]) => lines.map((l, i) => `2026-01-01T00:00:${String(i % 60).padStart(2, '0')}Z ${i % 2 ? 'stderr' : 'stdout'} F ${l}`).join('\n') + '\n';

test('the message is the last 4096 bytes of the file; a symlink or a directory there is never followed or read', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'term-msg-'));
  try {
    const file = join(dir, 'msg');
    writeFileSync(file, `${'a'.repeat(5000)}THE END`);
    const got = await readAtMost(file, 4096);
    assert.equal(got.length, 4096);
    assert.ok(got.endsWith('aTHE END'));

    writeFileSync(join(dir, 'secret'), 'host secret');
    symlinkSync(join(dir, 'secret'), join(dir, 'link'));
    const viaLink = await terminationMessage(exited('/nonexistent', 1), { terminationMessagePolicy: 'File' }, join(dir, 'link'));
    assert.doesNotMatch(viaLink.message, /host secret/);
    assert.match(viaLink.message, /^Error on reading termination log .*link: ELOOP/);

    mkdirSync(join(dir, 'adir'));
    assert.match((await terminationMessage(exited('/nonexistent', 1), undefined, join(dir, 'adir'))).message, /^Error on reading termination log .*adir: .*not a regular file/);
    // No file (never mounted, or gone): no message.
    assert.deepEqual(await terminationMessage(exited('/nonexistent', 1), undefined, join(dir, 'none')), { message: '', fromLogs: false });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('FallbackToLogsOnError: a failed container with an empty file gets the last 80 log lines, at most their last 2048 bytes; not when it succeeded or wrote a message', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'term-msg-'));
  try {
    const log = join(dir, '0.log');
    const empty = join(dir, 'empty');
    writeFileSync(empty, '');
    writeFileSync(log, criLog(Array.from({ length: 100 }, (_, i) => `line ${i}`)));
    const fb = { terminationMessagePolicy: 'FallbackToLogsOnError' as const };
    const got = await terminationMessage(exited(log, 2), fb, empty);
    assert.equal(got.fromLogs, true);
    assert.equal(got.message, Array.from({ length: 80 }, (_, i) => `line ${i + 20}\n`).join(''));
    // Succeeded, or the policy File: no fallback.
    assert.deepEqual(await terminationMessage(exited(log, 0), fb, empty), { message: '', fromLogs: false });
    assert.deepEqual(await terminationMessage(exited(log, 2), { terminationMessagePolicy: 'File' }, empty), { message: '', fromLogs: false });
    // The file wins when it says something.
    writeFileSync(join(dir, 'said'), 'bye');
    assert.deepEqual(await terminationMessage(exited(log, 2), fb, join(dir, 'said')), { message: 'bye', fromLogs: false });

    // Long lines: the tail of the last 80, 2048 bytes.
    writeFileSync(log, criLog(Array.from({ length: 90 }, (_, i) => `${i}:${'x'.repeat(100)}`)));
    const long = (await terminationMessage(exited(log, 1), fb, empty)).message;
    assert.equal(Buffer.byteLength(long), 2048);
    assert.ok(long.endsWith(`89:${'x'.repeat(100)}\n`));
    // The runtime's own message comes first.
    assert.equal((await terminationMessage(exited(log, 1, { message: 'runtime says' }), { terminationMessagePolicy: 'File' }, join(dir, 'said'))).message, 'runtime says: bye');
    // An unreadable log is said so.
    assert.match((await terminationMessage(exited(join(dir, 'gone.log'), 1), fb, empty)).message, /^Error on reading termination message from logs: /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the pod\'s 12 KiB are shared by its containers (init and ephemeral too); a message is cut by bytes', () => {
  const c = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `c${i}` }));
  assert.equal(bytesPerStatus({ spec: { containers: c(1) } }), 12288);
  assert.equal(bytesPerStatus({ spec: { containers: c(3), initContainers: c(2), ephemeralContainers: c(2) } }), 1755);
  assert.equal(truncateBytes('abcdef', 4), 'abcd');
  assert.equal(truncateBytes('abc', 4), 'abc');
  assert.equal(truncateBytes('aé', 2), 'a\ufffd');
});
