import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { fetchSnapshot, serveSnapshots, snapshotRunDir, snapshotSocketPath } from './snapshot-socket.ts';

const log = pino({ level: 'silent' });

/** A source whose copy is `body`, finished when `release` is called (or at once). */
function source(body: string, gate?: Promise<void>) {
  return {
    async backup(file: string) {
      await gate;
      writeFileSync(file, body);
    },
  };
}

const get = (socketPath: string, path: string, method = 'GET') =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ socketPath, path, method }, async (res) => {
      let body = '';
      for await (const c of res) body += String(c);
      resolve({ status: res.statusCode ?? 0, body });
    });
    req.on('error', reject);
    req.end();
  });

describe('snapshot socket', () => {
  test('a private socket in a private directory; a stale socket file is replaced; the copy is streamed and removed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-snapsock-'));
    mkdirSync(snapshotRunDir(dir), { mode: 0o755 });
    writeFileSync(snapshotSocketPath(dir), 'left by a server that died');
    const s = await serveSnapshots(dir, source('the whole store'), log);
    try {
      assert.ok(s);
      assert.equal(statSync(snapshotRunDir(dir)).mode & 0o777, 0o700);
      assert.ok(statSync(s.path).isSocket());
      assert.equal(statSync(s.path).mode & 0o777, 0o600);
      const out = join(dir, 'out.db');
      assert.equal(await fetchSnapshot(dir, out), true);
      assert.equal(readFileSync(out, 'utf8'), 'the whole store');
      assert.equal(statSync(out).mode & 0o777, 0o600);
      assert.deepEqual(readdirSync(snapshotRunDir(dir)), ['snapshot.sock']);
      assert.equal((await get(s.path, '/other')).status, 404);
      assert.equal((await get(s.path, '/snapshot', 'POST')).status, 405);
    } finally {
      await s?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('one snapshot at a time; a failed copy is an error for the CLI; no server means false', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-snapsock-'));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const s = (await serveSnapshots(dir, source('x', gate), log))!;
    try {
      const first = fetchSnapshot(dir, join(dir, 'a.db'));
      await new Promise((r) => setTimeout(r, 50));
      await assert.rejects(fetchSnapshot(dir, join(dir, 'b.db')), /could not take the snapshot \(409\): a snapshot is already being taken/);
      release();
      assert.equal(await first, true);
    } finally {
      await s.close();
    }
    assert.ok(!existsSync(snapshotSocketPath(dir)));
    assert.equal(await fetchSnapshot(dir, join(dir, 'c.db')), false);
    assert.ok(!existsSync(join(dir, 'c.db')));

    const failing = (await serveSnapshots(dir, { backup: async () => Promise.reject(new Error('disk full')) }, log))!;
    try {
      await assert.rejects(fetchSnapshot(dir, join(dir, 'd.db')), /could not take the snapshot \(500\): snapshot failed: disk full/);
      assert.deepEqual(readdirSync(snapshotRunDir(dir)), ['snapshot.sock']);
    } finally {
      await failing.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
