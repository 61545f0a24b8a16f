/**
 * portcullis snapshot on etcd (Debian's etcd 3.4 and etcdctl): a server on etcd writes objects
 * (a Secret encrypted), `snapshot save --etcd-servers` streams etcd's snapshot while writes go on,
 * `snapshot status` reads it, `snapshot restore` makes a new etcd data directory with etcdctl; the
 * member started on it holds every object exactly as it was at the snapshot's revision (key,
 * value, create and mod revision), and a fresh API server on it serves them (the Secret decrypted).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { runSnapshot } from '../../src/cli/snapshot.ts';
import { startControlPlane, type ControlPlane } from '../../src/server/control-plane.ts';
import { parseEncryptionConfig } from '../../src/storage/encryption/config.ts';
import { createEtcdClient } from '../../src/storage/etcd/etcd-client.ts';
import { openEtcdStore } from '../../src/storage/etcd/etcd-store.ts';
import type { StoredObject } from '../../src/storage/types.ts';
import { etcdSkip, startEtcd, type EtcdCluster } from '../helpers/etcd.ts';
import { requireBinaries } from '../helpers/real-parts.ts';
import { TestClient } from '../helpers/client.ts';

const skip = etcdSkip() || requireBinaries('etcd-client', 'etcdctl');
const encryption = parseEncryptionConfig({
  apiVersion: 'apiserver.config.k8s.io/v1',
  kind: 'EncryptionConfiguration',
  resources: [{ resources: ['secrets'], providers: [{ aesgcm: { keys: [{ name: 'k1', secret: Buffer.alloc(32, 7).toString('base64') }] } }] }],
});
const CM = '/api/v1/namespaces/default/configmaps';

const run = async (args: string[]) => {
  let out = '';
  const code = await runSnapshot(args, (s) => (out += s));
  return { code, out };
};

/** Every key under the prefix as etcd holds it (the raw store: values as stored, encrypted ones too). */
async function everything(servers: string[], revision?: number): Promise<Array<StoredObject<unknown>>> {
  const store = await openEtcdStore({ client: createEtcdClient({ servers }), root: '', prefix: '' });
  try {
    return (await store.list('/registry/', { atRevision: revision })).items;
  } finally {
    await store.close();
  }
}

describe('portcullis snapshot on etcd', { skip }, () => {
  const root = mkdtempSync(join(tmpdir(), 'portcullis-etcd-snapshot-'));
  let cluster: EtcdCluster | undefined;
  let cp: ControlPlane | undefined;
  after(async () => {
    await cp?.close();
    await cluster?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  test('save while writing, status, restore into a new etcd data dir; a fresh server serves every object as it was', async () => {
    cluster = await startEtcd(1);
    const start = (dir: string) => startControlPlane({ dataDir: join(root, dir), port: 0, bindAddress: '127.0.0.1', logger: pino({ level: 'silent' }), durability: 'normal', controllers: [], scheduler: false, leaderElect: false, encryption, etcd: { servers: cluster!.servers } });
    cp = await start('a');
    let admin = new TestClient(cp.url, { caPem: cp.pki.caCertPem, certPem: cp.pki.adminCertPem, keyPem: cp.pki.adminKeyPem });
    for (let i = 0; i < 30; i++) assert.equal((await admin.post(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { i: String(i) } })).status, 201);
    assert.equal((await admin.post('/api/v1/namespaces/default/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, stringData: { password: 'hunter2' } })).status, 201);
    assert.equal((await admin.delete(`${CM}/cm-3`)).status, 200);

    const file = join(root, 'etcd.snapshot');
    // Writes go on while the snapshot streams.
    const writing = (async () => {
      for (let i = 0; i < 20; i++) await admin.post(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `during-${i}` } });
    })();
    const saved = await run(['save', file, '--etcd-servers', cluster.servers.join(',')]);
    await writing;
    assert.equal(saved.code, 0);
    const revision = Number(/etcd revision (\d+)/.exec(saved.out)?.[1]);
    assert.ok(revision > 0, saved.out);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const status = await run(['status', file]);
    assert.match(status.out, new RegExp(`^etcd snapshot: hash \\d+, revision ${revision}, \\d+ keys, \\d+ bytes\\n$`));
    const before = await everything(cluster.servers, revision);
    assert.ok(before.some((o) => o.key === '/registry/secrets/default/db' && String(o.value).startsWith('k8s:enc:aesgcm:v1:k1:')));
    admin.close();
    await cp.close();
    cp = undefined;

    // The member is replaced by one restored from the snapshot, on the same addresses.
    const m = cluster.members[0]!;
    await m.kill();
    rmSync(m.dataDir, { recursive: true, force: true });
    const restored = await run(['restore', file, '--data-dir', m.dataDir, '--name', m.name, '--initial-cluster', `${m.name}=${m.peerUrl}`, '--initial-advertise-peer-urls', m.peerUrl]);
    assert.equal(restored.code, 0, restored.out);
    await assert.rejects(run(['restore', file, '--data-dir', m.dataDir]), /is not empty: restore into a new directory/);
    await m.restart();
    const after = await everything(cluster.servers);
    assert.deepEqual(
      after.map((o) => [o.key, o.value, o.createRevision, o.modRevision]),
      before.map((o) => [o.key, o.value, o.createRevision, o.modRevision]),
      'every object as it was at the snapshot revision',
    );

    cp = await start('b');
    admin = new TestClient(cp.url, { caPem: cp.pki.caCertPem, certPem: cp.pki.adminCertPem, keyPem: cp.pki.adminKeyPem });
    const secret = await admin.get('/api/v1/namespaces/default/secrets/db');
    assert.equal(Buffer.from(secret.body.data.password, 'base64').toString(), 'hunter2');
    const list = await admin.get(CM);
    const names = (list.body.items as Array<{ metadata: { name: string } }>).map((i) => i.metadata.name);
    for (const o of before.filter((b) => b.key.startsWith('/registry/configmaps/default/'))) assert.ok(names.includes(o.key.split('/').pop()!), o.key);
    assert.ok(!names.includes('cm-3'));
    admin.close();
  });
});
