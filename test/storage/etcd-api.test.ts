/**
 * The API server on etcd (startControlPlane with --etcd-servers): create, list and watch through
 * the API; the object sits in etcd under upstream's key layout with its resourceVersion as the
 * key's mod_revision; a second start on the same etcd serves the same objects.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Etcd3 } from 'etcd3';
import { startControlPlane, type ControlPlane } from '../../src/server/control-plane.ts';
import { TestClient } from '../helpers/client.ts';
import { etcdSkip, startEtcd, type EtcdCluster } from '../helpers/etcd.ts';
import { spawnUp } from '../helpers/spawn-up.ts';

const skip = etcdSkip();
let cluster: EtcdCluster;
let dir: string;
let raw: Etcd3;

async function start(): Promise<{ cp: ControlPlane; admin: TestClient }> {
  const cp = await startControlPlane({
    dataDir: join(dir, 'data'),
    port: 0,
    bindAddress: '127.0.0.1',
    logger: pino({ level: 'silent' }),
    etcd: { servers: cluster.servers },
    controllers: [],
    scheduler: false,
  });
  const admin = new TestClient(cp.url, { caPem: cp.pki.caCertPem, certPem: cp.pki.adminCertPem, keyPem: cp.pki.adminKeyPem });
  return { cp, admin };
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'portcullis-etcd-api-'));
  cluster = await startEtcd(1);
  raw = new Etcd3({ hosts: cluster.servers });
});
after(async () => {
  raw?.close();
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('API server on etcd: create, list, watch; upstream key layout; state survives a restart', { skip, timeout: 60_000 }, async () => {
  let { cp, admin } = await start();
  try {
    const path = '/api/v1/namespaces/default/configmaps';
    const made = await admin.post(path, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'one' }, data: { a: '1' } });
    assert.equal(made.status, 201, made.text);

    // In etcd as kube-apiserver lays it out (--etcd-prefix /registry), at its resourceVersion.
    const kv = await raw.get('/registry/configmaps/default/one').exec();
    assert.equal(kv.kvs.length, 1);
    assert.equal(kv.kvs[0].mod_revision, made.body.metadata.resourceVersion);
    assert.deepEqual(JSON.parse(kv.kvs[0].value.toString()).data, { a: '1' });

    const list = await admin.get(path);
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(list.body.items.map((i: { metadata: { name: string } }) => i.metadata.name), ['one']);
    const rv = list.body.metadata.resourceVersion;
    assert.ok(Number(rv) >= Number(made.body.metadata.resourceVersion));

    const watching = admin.watch(`${path}?watch=true&resourceVersion=${rv}`, (events) => events.some((e) => e.object?.metadata?.name === 'two'), 20_000);
    const two = await admin.post(path, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'two' } });
    assert.equal(two.status, 201, two.text);
    const { events } = await watching;
    assert.deepEqual(
      events.map((e) => [e.type, e.object.metadata.name, e.object.metadata.resourceVersion]),
      [['ADDED', 'two', two.body.metadata.resourceVersion]],
    );

    const page = await admin.get(`${path}?limit=1`);
    assert.equal(page.body.items.length, 1);
    assert.ok(page.body.metadata.continue);
    assert.equal(page.body.metadata.remainingItemCount, 1);
    const rest = await admin.get(`${path}?limit=1&continue=${encodeURIComponent(page.body.metadata.continue)}`);
    assert.deepEqual(rest.body.items.map((i: { metadata: { name: string } }) => i.metadata.name), ['two']);

    admin.close();
    await cp.close();
    ({ cp, admin } = await start());
    const again = await admin.get(`${path}/one`);
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.metadata.resourceVersion, made.body.metadata.resourceVersion);
  } finally {
    admin.close();
    await cp.close();
  }
});

test('portcullis up --etcd-servers --etcd-prefix: the objects are in etcd under the prefix, no state.db', { skip, timeout: 90_000 }, async () => {
  const data = join(dir, 'up');
  const srv = await spawnUp(data, ['--etcd-servers', cluster.servers.join(','), '--etcd-prefix', '/pc', '--local-agent=false']);
  try {
    assert.match(srv.stdout(), new RegExp(`^  storage: etcd ${cluster.servers[0]} \\(prefix /pc\\)$`, 'm'));
    const made = await srv.client.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'on-etcd' } });
    assert.equal(made.status, 201, made.text);
    const kv = await raw.get('/pc/namespaces/on-etcd').exec();
    assert.equal(kv.kvs[0]?.mod_revision, made.body.metadata.resourceVersion);
    assert.equal(existsSync(join(data, 'state.db')), false);
  } finally {
    srv.client.close();
    srv.child.kill('SIGTERM');
    await srv.exited;
  }
});
