/**
 * --event-ttl through the API (issue 18): Events, core/v1 and events.k8s.io/v1 alike, are deleted
 * once the TTL passes after their last write, and a watch of them sees DELETED; other objects stay.
 * On the embedded SQLite store, and on etcd (leases) when Debian's etcd is installed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startControlPlane, type ControlPlaneOptions } from '../../src/server/control-plane.ts';
import { apiServerFromFlags, API_SERVER_BOOLEANS, API_SERVER_FLAGS } from '../../src/cli/apiserver.ts';
import { parseCommand } from '../../src/cli/args.ts';
import { TestClient } from '../helpers/client.ts';
import { etcdSkip, startEtcd, type EtcdCluster } from '../helpers/etcd.ts';
import { until } from '../helpers/kubectl-session.ts';

const etcdSkipped = etcdSkip();
let dir: string;
let cluster: EtcdCluster | undefined;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-event-ttl-'));
  if (!etcdSkipped) cluster = await startEtcd(1);
});
after(async () => {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** `portcullis up --event-ttl 2s`, as its flags give it. */
function flags(): Partial<ControlPlaneOptions> {
  const args = parseCommand(['--event-ttl', '2s'], { name: 'up', booleans: [...API_SERVER_BOOLEANS], flags: [...API_SERVER_FLAGS] });
  return { eventTtlSeconds: apiServerFromFlags(args).eventTtlSeconds };
}

async function eventsExpire(name: string, extra: Partial<ControlPlaneOptions>): Promise<void> {
  const cp = await startControlPlane({ dataDir: join(dir, name), port: 0, bindAddress: '127.0.0.1', logger: pino({ level: 'silent' }), controllers: [], scheduler: false, ...flags(), ...extra });
  const admin = new TestClient(cp.url, { caPem: cp.pki.caCertPem, certPem: cp.pki.adminCertPem, keyPem: cp.pki.adminKeyPem });
  try {
    // No controllers run here: the ServiceAccount admission wants the namespace's default account.
    await admin.post('/api/v1/namespaces/default/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } });
    const pod = await admin.post('/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    assert.equal(pod.status, 201, pod.text);
    const involvedObject = { apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: 'p', uid: pod.body.metadata.uid };
    const start = Date.now();
    const core = await admin.post('/api/v1/namespaces/default/events', { apiVersion: 'v1', kind: 'Event', metadata: { name: 'p.1' }, involvedObject, reason: 'Scheduled', message: 'assigned', type: 'Normal', source: { component: 'test' } });
    assert.equal(core.status, 201, core.text);
    const v1 = await admin.post('/apis/events.k8s.io/v1/namespaces/default/events', {
      apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'p.2' }, regarding: involvedObject, reason: 'Pulled', note: 'pulled', type: 'Normal', action: 'Pull', reportingController: 'test', reportingInstance: 'test-1', eventTime: new Date().toISOString(),
    });
    assert.equal(v1.status, 201, v1.text);
    const watched = admin.watch(`/api/v1/namespaces/default/events?watch=true&resourceVersion=${v1.body.metadata.resourceVersion}`, (evs) => evs.filter((e) => e.type === 'DELETED').length >= 2, 30_000);
    await until('both Events to expire', async () => ((await admin.get('/api/v1/namespaces/default/events')).body.items.length === 0 ? true : undefined));
    assert.ok(Date.now() - start >= 1900, 'expired before the TTL');
    const { events } = await watched;
    assert.deepEqual(events.filter((e) => e.type === 'DELETED').map((e) => e.object.metadata.name).sort(), ['p.1', 'p.2']);
    assert.equal((await admin.get('/apis/events.k8s.io/v1/namespaces/default/events/p.2')).status, 404);
    assert.equal((await admin.get('/api/v1/namespaces/default/pods/p')).status, 200, 'a Pod never expires');
    // The store's size as kube-apiserver reports it: the SQLite files, or etcd's Status dbSize ('etcd-0').
    const metrics = await admin.get('/metrics');
    const size = new RegExp(`^apiserver_storage_size_bytes\\{storage_cluster_id="${extra.etcd ? 'etcd-0' : 'sqlite'}"\\} (\\d+)$`, 'm').exec(metrics.text);
    assert.ok(size && Number(size[1]) > 4096, 'apiserver_storage_size_bytes');
    // Objects per etcd lease, upstream's histogram: under a 2 s TTL there is no reuse window, so
    // each Event got a lease of its own, and each grant observed the requests of the lease before
    // it, the asking one included (1, then 2).
    if (extra.etcd) {
      assert.match(metrics.text, /^# HELP etcd_lease_object_counts Number of objects attached to a single etcd lease\.$/m);
      const count = Number(/^etcd_lease_object_counts_count (\d+)$/m.exec(metrics.text)?.[1]);
      assert.ok(count >= 2, `etcd_lease_object_counts_count ${count}`);
      assert.equal(Number(/^etcd_lease_object_counts_bucket\{le="10"\} (\d+)$/m.exec(metrics.text)?.[1]), count);
      assert.match(metrics.text, /^etcd_lease_object_counts_bucket\{le="5000"\} \d+$/m);
      assert.ok(Number(/^etcd_lease_object_counts_sum (\d+)$/m.exec(metrics.text)?.[1]) >= 3);
    } else assert.doesNotMatch(metrics.text, /etcd_lease_object_counts/, 'no leases on SQLite');
  } finally {
    admin.close();
    await cp.close();
  }
}

test('--event-ttl 2s on SQLite: a Pod\'s Events are gone after it, watchers see DELETED', { timeout: 60_000 }, () => eventsExpire('sqlite', {}));

test('--event-ttl 2s on etcd: the same through leases', { skip: etcdSkipped, timeout: 60_000 }, () => eventsExpire('etcd', { etcd: { servers: cluster!.servers } }));

/**
 * An Event stored while there was no TTL (--event-ttl 0, as before the flag existed) has no expiry;
 * the next start with a TTL gives it one (its last write + the TTL, here long passed), and it is
 * deleted as any expiry is: a watch sees DELETED, the Pod stays.
 */
async function oldEventsExpire(name: string, extra: Partial<ControlPlaneOptions>): Promise<void> {
  const base = { dataDir: join(dir, name), port: 0, bindAddress: '127.0.0.1', logger: pino({ level: 'silent' }), controllers: [], scheduler: false, ...extra };
  const connect = (cp: Awaited<ReturnType<typeof startControlPlane>>) => new TestClient(cp.url, { caPem: cp.pki.caCertPem, certPem: cp.pki.adminCertPem, keyPem: cp.pki.adminKeyPem });
  const before = await startControlPlane({ ...base, eventTtlSeconds: 0 });
  let admin = connect(before);
  try {
    await admin.post('/api/v1/namespaces/default/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } });
    assert.equal((await admin.post('/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } })).status, 201);
    const made = await admin.post('/api/v1/namespaces/default/events', { apiVersion: 'v1', kind: 'Event', metadata: { name: 'p.old' }, involvedObject: { kind: 'Pod', namespace: 'default', name: 'p' }, reason: 'Old', message: 'stored without an expiry', type: 'Normal' });
    assert.equal(made.status, 201, made.text);
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal((await admin.get('/api/v1/namespaces/default/events/p.old')).status, 200, 'no TTL: it stays');
  } finally {
    admin.close();
    await before.close();
  }
  const after = await startControlPlane({ ...base, ...flags() });
  admin = connect(after);
  try {
    const watched = admin.watch('/api/v1/namespaces/default/events?watch=true', (evs) => evs.some((e) => e.type === 'DELETED'), 30_000);
    await until('the old Event to expire', async () => ((await admin.get('/api/v1/namespaces/default/events/p.old')).status === 404 ? true : undefined));
    const { events } = await watched;
    assert.deepEqual(events.filter((e) => e.type === 'DELETED').map((e) => e.object.metadata.name), ['p.old']);
    assert.equal((await admin.get('/api/v1/namespaces/default/pods/p')).status, 200);
  } finally {
    admin.close();
    await after.close();
  }
}

test('SQLite: an Event stored without a TTL expires after a start with --event-ttl', { timeout: 90_000 }, () => oldEventsExpire('sqlite-old', {}));

test('etcd: an Event stored without a lease is given one at a start with --event-ttl', { skip: etcdSkipped, timeout: 90_000 }, () => oldEventsExpire('etcd-old', { etcd: { servers: cluster!.servers, prefix: '/old-events' } }));
