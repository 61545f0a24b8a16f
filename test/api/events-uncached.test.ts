/**
 * Events are served from the store, not the watch cache, as kube-apiserver's default watch cache
 * size 0 for `events` and `events.k8s.io/events` leaves them to etcd: the cache holds none, and
 * get, list, watch, a resume from a resourceVersion, 410 for a compacted one and `kubectl get
 * events -w` work through the API, core/v1 and events.k8s.io/v1 alike. On SQLite, and on etcd
 * when Debian's etcd is installed. --watch-cache-sizes brings them back into the cache and
 * --watch-cache=false runs without one.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startControlPlane, type ControlPlane, type ControlPlaneOptions } from '../../src/server/control-plane.ts';
import { builtinPrefix } from '../../src/api/registry/resource-def.ts';
import type { WatchCacheStore } from '../../src/storage/watch-cache.ts';
import { TestClient } from '../helpers/client.ts';
import { etcdSkip, startEtcd, type EtcdCluster } from '../helpers/etcd.ts';
import { kubectlSkip, streamKubectl } from '../helpers/kubectl.ts';

const EVENTS = builtinPrefix('', 'events');
const SERVICE_ACCOUNTS = builtinPrefix('', 'serviceaccounts');
const CORE = '/api/v1/namespaces/default/events';
const V1 = '/apis/events.k8s.io/v1/namespaces/default/events';
const etcdSkipped = etcdSkip();
const KUBECTL = 33;
const kubectlSkipped = kubectlSkip(KUBECTL);

let dir: string;
let etcd: EtcdCluster | undefined;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-events-uncached-'));
  if (!etcdSkipped) etcd = await startEtcd(1);
});
after(async () => {
  await etcd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function withServer(name: string, extra: Partial<ControlPlaneOptions>, body: (cp: ControlPlane, admin: TestClient) => Promise<void>): Promise<void> {
  const cp = await startControlPlane({ dataDir: join(dir, name), port: 0, bindAddress: '127.0.0.1', logger: pino({ level: 'silent' }), controllers: [], scheduler: false, ...extra });
  const admin = new TestClient(cp.url, { caPem: cp.pki.caCertPem, certPem: cp.pki.adminCertPem, keyPem: cp.pki.adminKeyPem });
  try {
    await body(cp, admin);
  } finally {
    admin.close();
    await cp.close();
  }
}

const coreEvent = (name: string, reason = 'Tested') => ({ apiVersion: 'v1', kind: 'Event', metadata: { name }, involvedObject: { apiVersion: 'v1', kind: 'ServiceAccount', namespace: 'default', name: 'default' }, reason, message: `${reason} ${name}`, type: 'Normal', source: { component: 'test' } });
const held = (cp: ControlPlane, prefix: string) => (cp.store as WatchCacheStore).held(prefix);

async function eventsFromTheStore(name: string, extra: Partial<ControlPlaneOptions>): Promise<void> {
  await withServer(name, extra, async (cp, admin) => {
    assert.equal((await admin.post('/api/v1/namespaces/default/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } })).status, 201);
    const a = await admin.post(CORE, coreEvent('a'));
    assert.equal(a.status, 201, a.text);
    const b = await admin.post(V1, { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'b' }, regarding: { kind: 'ServiceAccount', namespace: 'default', name: 'default' }, reason: 'Tested', note: 'b', type: 'Normal', action: 'Test', reportingController: 'test', reportingInstance: 'test-1', eventTime: new Date().toISOString() });
    assert.equal(b.status, 201, b.text);
    // The cache holds no Event; the ServiceAccount is held.
    assert.deepEqual(held(cp, EVENTS), { objects: 0, events: 0 });
    assert.equal(held(cp, SERVICE_ACCOUNTS).objects, 1);
    // Read-your-writes: each is there at once, through either API.
    assert.equal((await admin.get(`${CORE}/b`)).body.message, 'b');
    assert.equal((await admin.get(`${V1}/a`)).body.note, 'Tested a');
    const list = await admin.get(CORE);
    assert.deepEqual(list.body.items.map((e: any) => e.metadata.name), ['a', 'b']);
    assert.deepEqual((await admin.get('/apis/events.k8s.io/v1/events')).body.items.map((e: any) => e.metadata.name), ['a', 'b']);
    // A watch from the list's resourceVersion sees what follows, in order.
    const rv = list.body.metadata.resourceVersion;
    const watched = admin.watch(`${CORE}?watch=true&resourceVersion=${rv}`, (evs) => evs.length >= 3, 15_000);
    const c = await admin.post(CORE, coreEvent('c'));
    assert.equal(c.status, 201, c.text);
    const patched = await admin.patch(`${CORE}/c`, { count: 2 }, 'application/merge-patch+json');
    assert.equal(patched.status, 200, patched.text);
    assert.equal((await admin.delete(`${CORE}/a`)).status, 200);
    const { events } = await watched;
    assert.deepEqual(events.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED c', 'MODIFIED c', 'DELETED a']);
    assert.equal(events[1].object.count, 2);
    // A resume from the middle: only what came after that resourceVersion.
    const resumed = await admin.watch(`${V1}?watch=true&resourceVersion=${c.body.metadata.resourceVersion}`, (evs) => evs.length >= 2, 15_000);
    assert.deepEqual(resumed.events.map((e) => `${e.type} ${e.object.metadata.name}`), ['MODIFIED c', 'DELETED a']);
    assert.deepEqual(held(cp, EVENTS), { objects: 0, events: 0 });
    // Compacted past a resourceVersion: the watch ends with 410 Expired, as upstream's from etcd.
    await cp.store.compact(cp.store.currentRevision());
    const gone = await admin.watch(`${CORE}?watch=true&resourceVersion=${rv}`, (evs) => evs.length >= 1, 15_000);
    assert.equal(gone.events[0]?.type, 'ERROR', JSON.stringify(gone.events));
    assert.equal(gone.events[0].object.code, 410);
    assert.equal(gone.events[0].object.reason, 'Expired');
  });
}

test('SQLite: Events are served from the store, the watch cache holds none', { timeout: 60_000 }, () => eventsFromTheStore('sqlite', {}));

test('etcd: Events are served from etcd, the watch cache holds none', { skip: etcdSkipped, timeout: 60_000 }, () => eventsFromTheStore('etcd', { etcd: { servers: etcd!.servers, prefix: '/registry-uncached' } }));

test(`kubectl 1.${KUBECTL} get events -w prints Events as they are written`, { skip: kubectlSkipped, timeout: 60_000 }, () =>
  withServer('kubectl', {}, async (cp, admin) => {
    assert.equal((await admin.post('/api/v1/namespaces/default/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } })).status, 201);
    assert.equal((await admin.post(CORE, coreEvent('before', 'Earlier'))).status, 201);
    const w = streamKubectl(KUBECTL, cp.kubeconfigPath, ['-n', 'default', 'get', 'events', '-w', '--request-timeout=30s']);
    try {
      await w.waitFor(/\bEarlier\b.*Earlier before/);
      assert.doesNotMatch(w.stdout(), /\bLater\b/);
      assert.equal((await admin.post(CORE, coreEvent('after', 'Later'))).status, 201);
      await w.waitFor(/\bLater\b.*Later after/);
    } finally {
      w.kill();
    }
  }));

test('--watch-cache-sizes events#100 (and events.k8s.io) brings Events into the cache; --watch-cache=false runs without one', { timeout: 60_000 }, async () => {
  await withServer('sizes', { watchCacheFlags: { enabled: true, sizes: new Map([['events', 100], ['events.events.k8s.io', 100]]) } }, async (cp, admin) => {
    await admin.post('/api/v1/namespaces/default/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } });
    assert.equal((await admin.post(CORE, coreEvent('held'))).status, 201);
    assert.equal(held(cp, EVENTS).objects, 1);
  });
  await withServer('off', { watchCacheFlags: { enabled: false, sizes: new Map() } }, async (cp, admin) => {
    assert.equal('held' in cp.store, false, 'no watch cache');
    await admin.post('/api/v1/namespaces/default/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } });
    assert.equal((await admin.post(CORE, coreEvent('x'))).status, 201);
    assert.deepEqual((await admin.get(CORE)).body.items.map((e: any) => e.metadata.name), ['x']);
    const cm = await admin.post('/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } });
    assert.equal(cm.status, 201);
    assert.equal((await admin.get('/api/v1/namespaces/default/configmaps/c')).status, 200);
  });
});
