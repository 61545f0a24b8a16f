import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLogRelay } from './log-relay.ts';

test('the relay writes CRI records from both FIFOs and rotates past the size, keeping maxFiles', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'log-relay-'));
  try {
    const fifos = { stdout: join(dir, 'stdout'), stderr: join(dir, 'stderr') };
    execFileSync('mkfifo', [fifos.stdout, fifos.stderr]);
    let t = Date.UTC(2026, 0, 1);
    const now = () => new Date((t += 1000));
    const logPath = join(dir, '0.log');
    const relay = await openLogRelay(fifos, logPath, now, { maxBytes: 300, maxFiles: 3 });
    // The container's side: read-write, as the shim opens them.
    const out = openSync(fifos.stdout, 'r+');
    const err = openSync(fifos.stderr, 'r+');
    for (let i = 0; i < 40; i++) writeSync(out, `line ${String(i).padStart(2, '0')}\n`);
    writeSync(err, 'the end\n');
    closeSync(out);
    closeSync(err);
    await relay.done;

    const files = readdirSync(dir).filter((n) => n.startsWith('0.log')).sort();
    assert.equal(files.length, 3, `current + 2 rotated: ${files.join(', ')}`);
    assert.ok(files.every((f) => f === '0.log' || /^0\.log\.\d{8}-\d{6}$/.test(f)));
    const sizes = files.map((f) => readFileSync(join(dir, f)).length);
    assert.ok(sizes.every((s) => s <= 300), `every file within the limit: ${sizes.join(', ')}`);
    const current = readFileSync(logPath, 'utf8');
    assert.match(current, /^\d{4}-\d\d-\d\dT[\d:.]+Z stderr F the end$/m);
    assert.match(current, /stdout F line 39$/m);
    const all = files.map((f) => readFileSync(join(dir, f), 'utf8')).join('');
    assert.ok(!all.includes('line 00'), 'the oldest rotated file was removed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a relay opened again (an agent restart) counts the log already there toward the size', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'log-relay-'));
  try {
    const fifos = { stdout: join(dir, 'stdout'), stderr: join(dir, 'stderr') };
    execFileSync('mkfifo', [fifos.stdout, fifos.stderr]);
    const logPath = join(dir, '0.log');
    const before = `${'x'.repeat(249)}\n`;
    writeFileSync(logPath, before);
    const relay = await openLogRelay(fifos, logPath, () => new Date(Date.UTC(2026, 0, 1)), { maxBytes: 300, maxFiles: 3 });
    const out = openSync(fifos.stdout, 'r+');
    writeSync(out, 'after the restart\n');
    closeSync(out);
    closeSync(openSync(fifos.stderr, 'r+'));
    await relay.done;
    // 250 bytes there + a ~60-byte record > 300: the old file was rotated before the record went in.
    const rotated = readdirSync(dir).filter((n) => n.startsWith('0.log.'));
    assert.equal(rotated.length, 1);
    assert.equal(readFileSync(join(dir, rotated[0]!), 'utf8'), before);
    assert.match(readFileSync(logPath, 'utf8'), /stdout F after the restart$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
