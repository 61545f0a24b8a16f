import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/storage/sqlite.ts';
import { runStoreConformance } from './conformance.ts';
import { dbPath } from './crash-writer.ts';

runStoreConformance('sqlite (file)', async (dir) => openSqliteStore({ path: dbPath(dir) }), { reopen: true });
runStoreConformance('sqlite (:memory:)', async () => openSqliteStore({ path: ':memory:' }), { reopen: false });

/** Keys the child acknowledged before it was killed: only complete lines count. */
function acknowledged(out: string): string[] {
  const lines = out.split('\n');
  lines.pop();
  return lines.filter((l) => l.length > 0);
}

test('crash: every acknowledged write survives SIGKILL', { timeout: 30_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-crash-'));
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'crash-writer.ts'), dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    // Kill mid-stream once enough writes have been acknowledged (a count, not a clock).
    await new Promise<void>((resolve, reject) => {
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        out += chunk;
        if (acknowledged(out).length >= 1500) resolve();
      });
      child.on('exit', (code) => reject(new Error(`crash writer exited early with ${code}`)));
    });
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    const acked = acknowledged(out);

    const store = openSqliteStore({ path: dbPath(dir) });
    try {
      const missing = [];
      for (const key of acked) if (!(await store.get(key))) missing.push(key);
      assert.deepEqual(missing, [], 'acknowledged keys lost');
      const all = await store.list('/crash/');
      assert.ok(all.items.length >= acked.length);
      // Recovery resumes the revision counter after the last durable write.
      assert.equal(store.currentRevision(), all.items.length);
      const next = await store.create('/after-crash', {});
      assert.equal(next.modRevision, all.items.length + 1);
    } finally {
      await store.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
