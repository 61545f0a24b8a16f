import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getEventListeners } from 'node:events';
import { PassThrough, Writable } from 'node:stream';
import { fixedNano, readCriLogs, type ReadLogOptions } from './read-logs.ts';

const LOG = [
  '2026-01-01T00:00:01.5Z stdout F one',
  '2026-01-01T00:00:02Z stderr F two',
  'not a record',
  '2026-01-01T00:00:03.123456789Z stdout P thr',
  '2026-01-01T00:00:03.2Z stdout F ee',
  '2026-01-01T00:00:04Z stdout F four',
].join('\n');

async function read(path: string, opts: ReadLogOptions): Promise<string> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (d: Buffer) => chunks.push(d));
  await readCriLogs(path, opts, out);
  return Buffer.concat(chunks).toString();
}

test('kubectl logs options over a CRI file, as the kubelet reads it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'read-logs-'));
  try {
    const path = join(dir, '0.log');
    writeFileSync(path, `${LOG}\n2026-01-01T00:00:05Z stdout F unterminated`);
    assert.equal(await read(path, {}), 'one\ntwo\nthree\nfour\nunterminated\n');
    // tail counts complete lines from the end and then stops after that many records, so an
    // unterminated last line is neither counted nor shown (upstream's FindTailLineStartIndex + limitedMode).
    assert.equal(await read(path, { tailLines: 1 }), 'four\n');
    assert.equal(await read(path, { tailLines: 2 }), 'ee\nfour\n');
    assert.equal(await read(path, { tailLines: 0 }), '');
    assert.equal(await read(path, { since: new Date('2026-01-01T00:00:03.1Z') }), 'three\nfour\nunterminated\n');
    assert.equal(await read(path, { since: new Date('2026-01-01T00:00:03.15Z') }), 'ee\nfour\nunterminated\n');
    assert.equal(await read(path, { limitBytes: 6 }), 'one\ntw');
    assert.equal(await read(path, { stream: 'stderr' }), 'two\n');
    assert.equal(
      await read(path, { tailLines: 3, timestamps: true }),
      '2026-01-01T00:00:03.123456789Z thr2026-01-01T00:00:03.200000000Z ee\n2026-01-01T00:00:04.000000000Z four\n',
    );
    assert.equal(fixedNano('2026-01-01T00:00:01Z'), '2026-01-01T00:00:01.000000000Z');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('follow: new records as they come, across a rotation, until the container stops', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'read-logs-follow-'));
  try {
    const path = join(dir, '0.log');
    writeFileSync(path, '2026-01-01T00:00:01Z stdout F first\n');
    let running = true;
    const out = new PassThrough();
    let text = '';
    const seen = (s: string) => new Promise<void>((resolve) => {
      const check = () => (text.includes(s) ? resolve() : setTimeout(check, 5));
      check();
    });
    out.on('data', (d: Buffer) => (text += d.toString()));
    const done = readCriLogs(path, { follow: true, tailLines: 10 }, out, { isRunning: async () => running, pollMs: 10 });
    await seen('first');
    appendFileSync(path, '2026-01-01T00:00:02Z stdout F second\n');
    await seen('second');
    renameSync(path, `${path}.20260101-000002`);
    writeFileSync(path, '2026-01-01T00:00:03Z stdout F after rotation\n');
    await seen('after rotation');
    appendFileSync(path, '2026-01-01T00:00:04Z stdout F last words\n');
    running = false;
    await done;
    assert.equal(text, 'first\nsecond\nafter rotation\nlast words\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a reader whose client stopped reading and went away ends, and a long follow does not pile up abort listeners', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'read-logs-gone-'));
  try {
    const path = join(dir, '0.log');
    writeFileSync(path, Array.from({ length: 2000 }, (_, i) => `2026-01-01T00:00:01Z stdout F line ${i} ${'x'.repeat(100)}`).join('\n') + '\n');
    // A client that takes nothing: the first write fills it and no 'drain' ever comes.
    const stuck = new Writable({ highWaterMark: 1024, write: () => undefined });
    const ctl = new AbortController();
    const done = readCriLogs(path, { follow: true }, stuck, { isRunning: async () => true, signal: ctl.signal, pollMs: 1 });
    await new Promise((r) => setTimeout(r, 50));
    stuck.destroy();
    const ended = await Promise.race([done.then(() => true), new Promise((r) => setTimeout(() => r(false), 2000))]);
    assert.equal(ended, true, 'the reader ended once its sink was gone');

    // Following an idle file: each poll's abort listener goes with it.
    const idle = join(dir, '1.log');
    writeFileSync(idle, '2026-01-01T00:00:01Z stdout F only\n');
    const ctl2 = new AbortController();
    const follow = readCriLogs(idle, { follow: true }, new PassThrough(), { isRunning: async () => true, signal: ctl2.signal, pollMs: 1 });
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(getEventListeners(ctl2.signal, 'abort').length <= 1, `abort listeners after ~100 polls: ${getEventListeners(ctl2.signal, 'abort').length}`);
    ctl2.abort();
    await follow;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
