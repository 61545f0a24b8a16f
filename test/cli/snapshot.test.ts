/**
 * portcullis snapshot save / restore: a server's store saved, restored into a new data directory,
 * and a fresh server started on it answers with every object exactly as it was (compared key by
 * key at the snapshot's revision, and Secrets read back through the API with the same encryption).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startControlPlane, type ControlPlane } from '../../src/server/control-plane.ts';
import { parseEncryptionConfig } from '../../src/storage/encryption/config.ts';
import { CORE_CONTROLLERS } from '../../src/cluster/controllers/registry.ts';
import { runSnapshot, snapshotStatus, type SnapshotStatus } from '../../src/cli/snapshot.ts';
import type { StoredObject } from '../../src/storage/types.ts';
import { openSqliteStore } from '../../src/storage/sqlite.ts';
import { encryptingStore } from '../../src/storage/encryption/encrypting-store.ts';
import { buildTransformers } from '../../src/storage/encryption/transformer.ts';
import { TestClient } from '../helpers/client.ts';
import { snapshotSocketPath } from '../../src/server/snapshot-socket.ts';

const encryption = parseEncryptionConfig({
  apiVersion: 'apiserver.config.k8s.io/v1',
  kind: 'EncryptionConfiguration',
  resources: [{ resources: ['secrets'], providers: [{ aesgcm: { keys: [{ name: 'k1', secret: Buffer.alloc(32, 5).toString('base64') }] } }] }],
});

async function start(dataDir: string): Promise<{ cp: ControlPlane; admin: TestClient }> {
  const cp = await startControlPlane({ dataDir, port: 0, bindAddress: '127.0.0.1', logger: pino({ level: 'silent' }), durability: 'normal', controllers: [...CORE_CONTROLLERS], scheduler: false, leaderElect: false, encryption });
  return { cp, admin: new TestClient(cp.url, { caPem: cp.pki.caCertPem, certPem: cp.pki.adminCertPem, keyPem: cp.pki.adminKeyPem }) };
}

const run = async (args: string[]) => {
  let out = '';
  const code = await runSnapshot(args, (s) => (out += s));
  return { code, out };
};

describe('portcullis snapshot', () => {
  const root = mkdtempSync(join(tmpdir(), 'portcullis-snapshot-'));
  const oldDir = join(root, 'old');
  const newDir = join(root, 'new');
  const file = join(root, 'backup.db');
  after(() => rmSync(root, { recursive: true, force: true }));

  test('save, restore into a new directory, and a fresh server serves every object as it was', async () => {
    let { cp, admin } = await start(oldDir);
    for (let i = 0; i < 20; i++) {
      assert.equal((await admin.post('/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, labels: { i: String(i) } }, data: { i: String(i) } })).status, 201);
    }
    assert.equal((await admin.post('/api/v1/namespaces/default/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, stringData: { password: 'hunter2' } })).status, 201);
    assert.equal((await admin.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } })).status, 201);
    assert.equal((await admin.delete('/api/v1/namespaces/default/configmaps/cm-3')).status, 200);

    // The server holds its store exclusively: without its snapshot socket, save refuses while it
    // runs and says why (it never reads around the lock).
    rmSync(snapshotSocketPath(oldDir));
    await assert.rejects(run(['save', file, '--data-dir', oldDir]), /is in use and its server offers no snapshot socket: stop the server/);
    assert.ok(!existsSync(file) && !existsSync(`${file}.part`));
    admin.close();
    await cp.close();
    // The state the snapshot must hold, read from the stopped server's store.
    const before = await (async () => {
      const raw = openSqliteStore({ path: join(oldDir, 'state.db') });
      assert.match(String((await raw.get('/registry/core/secrets/default/db'))?.value), /^k8s:enc:aesgcm:v1:k1:/);
      const store = encryptingStore(raw, buildTransformers(encryption));
      const rev = store.currentRevision();
      const list = await store.list('');
      await store.close();
      return { rev, list };
    })();

    const saved = await run(['save', file, '--data-dir', oldDir]);
    assert.equal(saved.code, 0);
    assert.match(saved.out, new RegExp(`^Snapshot saved at ${file} \\(revision ${before.rev}, `));
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(snapshotStatus(file).revision, before.rev);
    assert.equal(snapshotStatus(file).keys, before.list.items.length);

    assert.equal((await run(['restore', file, '--data-dir', newDir])).code, 0);
    await assert.rejects(run(['restore', file, '--data-dir', newDir]), /already holds a store/);
    assert.deepEqual(readdirSync(newDir).filter((f) => f.includes('.part')), []);

    ({ cp, admin } = await start(newDir));
    try {
      // Every object at the snapshot's revision, key by key, whatever the new server wrote since.
      const restored = await cp.store.list('', { atRevision: before.rev });
      assert.equal(restored.items.length, before.list.items.length);
      assert.deepEqual(
        restored.items.map((o) => [o.key, o.createRevision, o.modRevision, o.value]),
        before.list.items.map((o) => [o.key, o.createRevision, o.modRevision, o.value]),
      );
      assert.ok(restored.items.some((o) => o.key === '/registry/core/secrets/default/db'));
      assert.ok(!restored.items.some((o) => o.key === '/registry/core/configmaps/default/cm-3'));
      const s = await admin.get('/api/v1/namespaces/default/secrets/db');
      assert.equal(Buffer.from(s.body.data.password, 'base64').toString(), 'hunter2');
      assert.ok(cp.store.currentRevision() >= before.rev);
    } finally {
      admin.close();
      await cp.close();
    }
  });

  test('save while the server runs under write load: no write fails or is lost, and the restore serves the snapshot\'s revision', async () => {
    const liveDir = join(root, 'live');
    const restoredDir = join(root, 'live-restored');
    const liveFile = join(root, 'live.db');
    let { cp, admin } = await start(liveDir);
    const created: Array<{ name: string; rv: string }> = [];
    const failures: string[] = [];
    let stop = false;
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const name = `w${w}-${i}`;
        const r = await admin.post('/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { pad: 'x'.repeat(2000) } });
        if (r.status === 201) created.push({ name, rv: r.body.metadata.resourceVersion });
        else failures.push(`${name}: ${r.status} ${JSON.stringify(r.body)}`);
      }
    };
    const until = async (n: number) => {
      while (created.length < n && failures.length === 0) await new Promise((r) => setTimeout(r, 10));
    };
    const writers = [0, 1].map(writer);
    let status: SnapshotStatus = { revision: 0, compacted: 0, keys: 0, bytes: 0 };
    let atSnapshot: StoredObject[] = [];
    try {
      await until(30);
      const before = created.length;
      const saved = await run(['save', liveFile, '--data-dir', liveDir]);
      assert.equal(saved.code, 0);
      await until(created.length + 20);
      stop = true;
      await Promise.all(writers);
      assert.deepEqual(failures, []);
      status = snapshotStatus(liveFile);
      const shown = await run(['status', liveFile]);
      assert.equal(shown.out, `revision ${status.revision}, compacted ${status.compacted}, ${status.keys} keys, ${status.bytes} bytes\n`);
      assert.match(saved.out, new RegExp(`^Snapshot saved at ${liveFile} \\(revision ${status.revision}, `));
      assert.equal(statSync(liveFile).mode & 0o777, 0o600);
      // Taken from the running server: it holds what was written before the save, and the server went on past it.
      assert.ok(created.slice(0, before).every((c) => Number(c.rv) <= status.revision));
      assert.ok(cp.store.currentRevision() > status.revision);
      // Nothing written meanwhile was lost on the running server.
      const live = await admin.get('/api/v1/namespaces/default/configmaps');
      const liveRv = new Map<string, string>(live.body.items.map((o: { metadata: { name: string; resourceVersion: string } }) => [o.metadata.name, o.metadata.resourceVersion]));
      for (const c of created) assert.equal(liveRv.get(c.name), c.rv, c.name);
      atSnapshot = (await cp.store.list('', { atRevision: status.revision })).items;
      assert.equal(atSnapshot.length, status.keys);
      assert.deepEqual(readdirSync(join(liveDir, 'run')), ['snapshot.sock']);
    } finally {
      stop = true;
      await Promise.all(writers);
      admin.close();
      await cp.close();
    }
    assert.ok(!existsSync(snapshotSocketPath(liveDir)), 'the socket goes with the server');

    assert.equal((await run(['restore', liveFile, '--data-dir', restoredDir])).code, 0);
    ({ cp, admin } = await start(restoredDir));
    try {
      const restored = await cp.store.list('', { atRevision: status.revision });
      assert.deepEqual(
        restored.items.map((o) => [o.key, o.createRevision, o.modRevision, o.value]),
        atSnapshot.map((o) => [o.key, o.createRevision, o.modRevision, o.value]),
      );
      // Through the API: every ConfigMap the load wrote up to the snapshot's revision, as it was.
      const served = await admin.get('/api/v1/namespaces/default/configmaps');
      const servedRv = new Map<string, string>(served.body.items.map((o: { metadata: { name: string; resourceVersion: string } }) => [o.metadata.name, o.metadata.resourceVersion]));
      const inSnapshot = created.filter((c) => Number(c.rv) <= status.revision);
      assert.ok(inSnapshot.length >= 30);
      for (const c of inSnapshot) assert.equal(servedRv.get(c.name), c.rv, c.name);
      for (const c of created.filter((c) => Number(c.rv) > status.revision)) assert.ok(!servedRv.has(c.name), `${c.name} was written after the snapshot`);
    } finally {
      admin.close();
      await cp.close();
    }
  });

  test('status and restore refuse what is not a whole store', async () => {
    const junk = join(root, 'junk.db');
    writeFileSync(junk, 'not a database');
    assert.throws(() => snapshotStatus(junk), /file is not a database|damaged/);
    assert.throws(() => snapshotStatus(join(root, 'missing.db')), /does not exist/);
    await assert.rejects(run(['restore', junk, '--data-dir', join(root, 'other')]));
    assert.ok(!existsSync(join(root, 'other', 'state.db')));
    await assert.rejects(run(['save', join(root, 'x.db'), '--data-dir', join(root, 'nothing-here')]), /holds no store/);
    assert.equal((await run(['bogus'])).code, 2);
  });
});
