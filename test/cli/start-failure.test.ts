/**
 * A start that fails part way (here: admin.kubeconfig cannot be written because a directory is in
 * its place, as a full disk or a read-only file would) must not leave a half-started server behind:
 * nothing keeps listening, the store is closed, and the next start in the same data dir works
 * instead of failing with "database is locked".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { startControlPlane } from '../../src/server/control-plane.ts';
import { freePort } from '../helpers/free-port.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'portcullis');

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ port, host: '127.0.0.1' });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

/** A logger that remembers the lines, to learn the port fastify listened on. */
function capturingLogger() {
  const lines: string[] = [];
  const stream = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
  return { logger: pino({ level: 'info' }, stream), lines };
}

for (const fixedPort of [false, true]) {
  test(`a start that cannot write admin.kubeconfig shuts down cleanly (${fixedPort ? 'fixed port: before listening' : 'port 0: after listening'})`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pc-startfail-'));
    try {
      mkdirSync(join(dir, 'admin.kubeconfig'));
      const port = fixedPort ? await freePort() : 0;
      const { logger, lines } = capturingLogger();
      await assert.rejects(startControlPlane({ dataDir: dir, port, bindAddress: '127.0.0.1', logger, durability: 'normal' }), /EISDIR|directory/i);
      const listened = lines.map((l) => /listening at https:\/\/127\.0\.0\.1:(\d+)/.exec(l)?.[1]).find(Boolean);
      if (!fixedPort) assert.ok(listened, 'the port-0 start got as far as listening');
      const probe = fixedPort ? port : Number(listened);
      assert.equal(await accepts(probe), false, `nothing may listen on ${probe} after a failed start`);

      rmSync(join(dir, 'admin.kubeconfig'), { recursive: true });
      const cp = await startControlPlane({ dataDir: dir, port: 0, bindAddress: '127.0.0.1', logger: pino({ level: 'silent' }), durability: 'normal' });
      await cp.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('portcullis up exits non-zero when the start fails after listening, and the next start works', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-startfail-bin-'));
  try {
    mkdirSync(join(dir, 'admin.kubeconfig'));
    // A half-started server would keep the process alive: the timeout turns that into a failure.
    const r = spawnSync(process.execPath, [BIN, 'up', '--port', '0', '--data-dir', dir, '--log-level', 'warn'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.signal, null, `still running after 30 s: ${r.stderr}`);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /portcullis up: .*(EISDIR|directory)/i);
    rmSync(join(dir, 'admin.kubeconfig'), { recursive: true });
    const { spawnUp } = await import('../helpers/spawn-up.ts');
    const srv = await spawnUp(dir);
    try {
      assert.equal((await srv.client.get('/version')).status, 200);
    } finally {
      srv.client.close();
      srv.child.kill('SIGTERM');
      await srv.exited;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
