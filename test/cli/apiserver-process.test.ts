/**
 * What the API server's process runs with (bin/apiserver-process.mjs): `portcullis up` and
 * `portcullis apiserver` replace themselves, before loading anything, by a process with the API
 * server's V8 flags (a smaller young generation, issue 12), in the same process; a flag the user
 * set wins; other commands are left alone. Checked from inside the process by a preloaded probe
 * that reports its flags at exit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_SERVER_NODE_FLAGS } from '../../bin/apiserver-process.mjs';

const BIN = fileURLToPath(new URL('../../bin/portcullis', import.meta.url));
const PROBE = `process.on('exit', () => process.stderr.write('execArgv=' + JSON.stringify(process.execArgv) + '\\n'));
`;

async function run(t: { after(fn: () => Promise<void>): void }, args: string[], nodeOptions = ''): Promise<{ execArgv: string[]; reports: number; stderr: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'apiserver-process-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const probe = join(dir, 'probe.mjs');
  await writeFile(probe, PROBE);
  // An unknown flag: the command stops at its flags, after the process was set up.
  const child = execFile(process.execPath, [BIN, ...args, '--no-such-flag'], { env: { ...process.env, NODE_OPTIONS: `--import ${probe} ${nodeOptions}`.trim() }, timeout: 120_000 });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += String(d)));
  await new Promise((resolve) => child.once('close', resolve));
  return { execArgv: JSON.parse(/^execArgv=(.*)$/m.exec(stderr)?.[1] ?? 'null'), reports: stderr.match(/^execArgv=/gm)?.length ?? 0, stderr };
}

test('portcullis up and apiserver run with the API server\'s V8 flags, in the same process', async (t) => {
  for (const cmd of ['up', 'apiserver']) {
    const r = await run(t, [cmd]);
    assert.deepEqual(r.execArgv, [...API_SERVER_NODE_FLAGS], r.stderr);
    assert.match(r.stderr, /unknown flag/);
    // One process: the probe reports once (execve keeps the pid and replaces the image).
    assert.equal(r.reports, 1, r.stderr);
  }
});

test('a young-generation size the user set wins; other commands keep Node\'s defaults', async (t) => {
  const own = await run(t, ['apiserver'], '--max-semi-space-size=8');
  assert.deepEqual(own.execArgv, [], own.stderr);
  const other = await run(t, ['who-can']);
  assert.deepEqual(other.execArgv, [], other.stderr);
});
