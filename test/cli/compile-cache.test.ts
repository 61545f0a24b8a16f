/**
 * bin/portcullis runs with Node's compile cache: `portcullis agent` fills it in a child first and
 * then loads every module from it, so the agent process never loads the TypeScript stripper
 * (amaro, a WebAssembly module that stays resident). Checked from inside the process by a
 * preloaded probe that reports at exit whether Node loaded amaro.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/portcullis', import.meta.url));
const PROBE = `process.on('exit', () => process.stderr.write('amaro=' + process.moduleLoadList.some((m) => m.includes('amaro')) + '\\n'));\n`;

function portcullis(args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, timeout: 120_000 }, (_err, _out, stderr) => resolve(String(stderr)));
  });
}

test('portcullis agent starts from a compile cache it filled first: no type stripping in the agent process', { skip: !process.features.typescript && 'this Node has no type stripping (tsx runs the sources)' }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'compile-cache-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const probe = join(dir, 'probe.mjs');
  await writeFile(probe, PROBE);
  const cache = join(dir, 'cache');
  const env = { NODE_COMPILE_CACHE: cache, NODE_OPTIONS: `--import ${probe}` };
  const first = await portcullis(['agent', '--no-such-flag'], env);
  assert.match(first, /unknown flag/);
  assert.match(first, /^amaro=false$/m, `the agent process loaded the type stripper:\n${first}`);
  assert.ok(existsSync(cache) && (await readdir(cache)).length > 0, 'the cache was written');
  // Without the cache every process strips types itself: the probe can tell.
  assert.match(await portcullis(['agent', '--no-such-flag'], { NODE_OPTIONS: `--import ${probe}`, NODE_DISABLE_COMPILE_CACHE: '1' }), /^amaro=true$/m);
});

test('what the agent loads later, on first use (bin/agent-process.mjs AGENT_MODULES: the pod network, the stream handling), comes from the cache too', { skip: !process.features.typescript && 'this Node has no type stripping (tsx runs the sources)' }, async (t) => {
  const { AGENT_MODULES } = await import('../../bin/agent-process.mjs');
  assert.ok(AGENT_MODULES.some((m) => m.endsWith('/src/cluster/agent/network/node-network.ts')), 'the pod network is among them');
  const dir = await mkdtemp(join(tmpdir(), 'compile-cache-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const probe = join(dir, 'probe.mjs');
  // Once the command is done, the lazily loaded modules are imported in the same process.
  await writeFile(probe, `let once = false;\nprocess.on('beforeExit', async () => { if (once) return; once = true; for (const m of ${JSON.stringify(AGENT_MODULES)}) await import(m); process.stderr.write('imported\\n'); });\n${PROBE}`);
  const out = await portcullis(['agent', '--no-such-flag'], { NODE_COMPILE_CACHE: join(dir, 'cache'), NODE_OPTIONS: `--import ${probe}` });
  assert.match(out, /^imported$/m, out);
  assert.match(out, /^amaro=false$/m, `a lazily loaded module was type-stripped in the agent process:\n${out}`);
});
