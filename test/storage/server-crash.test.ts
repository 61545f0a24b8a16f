import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnUp } from '../helpers/spawn-up.ts';

const FULL_LINE = /^  durability: full \(SQLite synchronous=(NORMAL|FULL|EXTRA), WAL synced before each acknowledgement\)$/m;

test('the startup line reports the durability the store runs with, read back from it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-durability-'));
  try {
    // 'normal' must read differently, or the assertion in the crash test below could not fail.
    const srv = await spawnUp(dir, ['--durability', 'normal']);
    srv.client.close();
    srv.child.kill('SIGTERM');
    await srv.exited;
    assert.doesNotMatch(srv.stdout(), FULL_LINE);
    assert.match(srv.stdout(), /^  durability: normal \(SQLite synchronous=NORMAL, no sync before acknowledgement\)$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * kill -9 of the API server under write load loses no acknowledged write: every create that was
 * answered 201 before the kill is there after a restart.
 */
test('kill -9 under write load loses no acknowledged write', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-crash-'));
  try {
    const srv = await spawnUp(dir, ['--durability', 'full']);
    const acked: string[] = [];
    let stop = false;
    let n = 0;
    const worker = async (w: number) => {
      while (!stop) {
        const name = `cm-${w}-${n++}`;
        try {
          const r = await srv.client.post('/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { w: String(w) } });
          if (r.status === 201) acked.push(name);
        } catch {
          return; // the connection died with the server
        }
      }
    };
    const workers = Array.from({ length: 16 }, (_, i) => worker(i));
    while (acked.length < 300) await new Promise((r) => setTimeout(r, 20));
    srv.child.kill('SIGKILL');
    stop = true;
    await srv.exited;
    await Promise.all(workers);
    srv.client.close();
    assert.ok(acked.length >= 300);
    // kill -9 keeps the page cache, so surviving it proves nothing about syncing: check that the
    // store really ran as 'full' (each acknowledgement after a WAL sync), as the server reported it.
    assert.match(srv.stdout(), FULL_LINE);

    const again = await spawnUp(dir);
    const list = await again.client.get('/api/v1/namespaces/default/configmaps');
    assert.equal(list.status, 200);
    const present = new Set(list.body.items.map((i: any) => i.metadata.name));
    const lost = acked.filter((a) => !present.has(a));
    assert.deepEqual(lost, [], `${lost.length} of ${acked.length} acknowledged writes lost`);
    again.client.close();
    again.child.kill('SIGTERM');
    await again.exited;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
