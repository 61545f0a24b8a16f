/**
 * What `portcullis agent` loads: its own modules and what a node needs, not another command's,
 * and the streaming libraries only when a stream is asked for; and what it runs with.
 * Every module is resident for the agent's life (issue 13: the agent with 100 pods in 100 MiB);
 * it once loaded every controller and the node simulator through two small helpers it imported
 * from those commands (about 19 MiB). Checked from inside the process by a preloaded probe that
 * lists every module resolved, reported at exit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_ENV, AGENT_NODE_FLAGS } from '../../bin/agent-process.mjs';

const BIN = fileURLToPath(new URL('../../bin/portcullis', import.meta.url));
const PROBE = `import { registerHooks } from 'node:module';
const seen = new Set();
registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); seen.add(r.url); return r; } });
process.on('exit', () => process.stderr.write('modules=' + JSON.stringify([...seen]) + '\\nexecArgv=' + JSON.stringify(process.execArgv) + '\\narenas=' + process.env.MALLOC_ARENA_MAX + '\\n'));
`;

/** Modules of other commands (and their heavy dependencies) that the agent must not load. */
const NOT_FOR_THE_AGENT = [
  /\/src\/cluster\/controller-manager\.ts$/,
  /\/src\/cluster\/controllers\/registry\.ts$/,
  /\/src\/cluster\/sim\/sim-nodes\.ts$/,
  /\/src\/cli\/(controller-manager|sim|scheduler|apiserver|up)\.ts$/,
  /\/src\/server\/control-plane\.ts$/,
  /\/node_modules\/@marcbachmann\/cel-js\//,
  // Loaded on the first exec, attach or port-forward (stream-upgrade.ts).
  /\/src\/cluster\/agent\/server\/stream-upgrade\.ts$/,
  /\/node_modules\/(spdy-transport|ws)\//,
  // Required with the first probe result or /metrics/probes scrape (probe-metrics.ts).
  /\/node_modules\/prom-client\//,
  // The local agent of `portcullis up` (its CSR approver).
  /\/src\/cluster\/agent\/local-(agent|serving-approver)\.ts$/,
  // ~2.2 MiB of heap for a few certificate requests (node-certificates.ts writes their DER itself).
  /\/node_modules\/node-forge\//,
  // The pod network (NetworkPolicy, Services, DNS): loaded when it starts, not with --pod-network=false.
  /\/src\/cluster\/agent\/network\/node-network\.ts$/,
  /\/src\/cluster\/netpol\//,
  /\/src\/cluster\/agent\/network\/dns\/server\.ts$/,
  // The protobuf codec: the agent's client asks for JSON (the rest client loads it for a client that
  // asks for protobuf), and a gRPC probe loads protobufjs at its first run.
  /\/src\/api\/codecs\/protobuf/,
  /\/node_modules\/protobufjs\//,
];

test('portcullis agent loads no other command\'s modules', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'agent-modules-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const probe = join(dir, 'probe.mjs');
  await writeFile(probe, PROBE);
  const stderr = await new Promise<string>((resolve) => {
    // An unknown flag: the agent's module graph is loaded, then the command stops at its flags.
    execFile(process.execPath, [BIN, 'agent', '--no-such-flag'], { env: { ...process.env, NODE_OPTIONS: `--import ${probe}` }, timeout: 120_000 }, (_err, _out, err) => resolve(String(err)));
  });
  assert.match(stderr, /unknown flag/);
  const modules: string[] = JSON.parse(/^modules=(.*)$/m.exec(stderr)?.[1] ?? '[]');
  assert.ok(modules.some((m) => m.endsWith('/src/cli/agent.ts')), `the probe saw the agent's modules:\n${stderr}`);
  for (const re of NOT_FOR_THE_AGENT) assert.deepEqual(modules.filter((m) => re.test(m)), [], `the agent loads what ${re} matches`);
});

/** `portcullis agent --no-such-flag` with the probe, node's own flags first: its stderr. */
async function probeAgent(t: { after(fn: () => Promise<void>): void }, nodeFlags: string[], unset: string[] = []): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'agent-modules-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const probe = join(dir, 'probe.mjs');
  await writeFile(probe, PROBE);
  const env: Record<string, string | undefined> = { ...process.env, NODE_OPTIONS: `--import ${probe}` };
  for (const k of unset) delete env[k];
  const child = execFile(process.execPath, [...nodeFlags, BIN, 'agent', '--no-such-flag'], { env, timeout: 120_000 });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += String(d)));
  await new Promise((resolve) => child.once('close', resolve));
  return stderr;
}

test('portcullis agent runs with the agent\'s V8 flags and malloc setting (bin/agent-process.mjs), in the same process', async (t) => {
  const stderr = await probeAgent(t, [], ['MALLOC_ARENA_MAX']);
  assert.deepEqual(JSON.parse(/^execArgv=(.*)$/m.exec(stderr)?.[1] ?? 'null'), [...AGENT_NODE_FLAGS], stderr);
  // No baseline or mid-tier compiled code (~5 MiB of the agent with 100 pods).
  for (const flag of ['--max-semi-space-size=2', '--no-sparkplug', '--no-maglev']) assert.ok(AGENT_NODE_FLAGS.includes(flag), flag);
  assert.match(stderr, new RegExp(`^arenas=${AGENT_ENV.MALLOC_ARENA_MAX}$`, 'm'));
  // One process: the probe's exit report comes once, from the process that was started (execve keeps the pid).
  assert.equal(stderr.match(/^modules=/gm)?.length, 1);
});

test('a tier the user turned back on wins over the agent\'s --no-sparkplug', async (t) => {
  // V8 flags are not allowed in NODE_OPTIONS: given to node itself.
  const stderr = await probeAgent(t, ['--sparkplug']);
  assert.deepEqual(JSON.parse(/^execArgv=(.*)$/m.exec(stderr)?.[1] ?? 'null'), [...AGENT_NODE_FLAGS.filter((f) => f !== '--no-sparkplug'), '--sparkplug'], stderr);
});
