/**
 * The in-cluster client library against a running control plane: CRUD with typed errors, RBAC
 * refusals, watches and informers (add/update/delete, relist after compaction), protobuf answers
 * equal to JSON ones, leader election on a real Lease.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { issueCert } from '../../src/pki/certs.ts';
import { RestClient } from '../../src/cluster/client/rest-client.ts';
import { SharedInformerFactory } from '../../src/cluster/client/informer.ts';
import { ApiStatusError, isAlreadyExists, isConflict, isForbidden, isNotFound, isResourceExpired } from '../../src/cluster/client/errors.ts';
import { resources } from '../../src/cluster/client/resources.ts';
import { FakeClock } from '../../src/cluster/client/fake-clock.ts';
import { startLeaderElection } from '../../src/cluster/client/leader-election.ts';
import { KUBE_SCHEDULER, componentClientConfig, controllerIdentity, nodeIdentity, type ComponentIdentity } from '../../src/cluster/client/identities.ts';
import type { ClientConfig, K8sObject, WatchEvent } from '../../src/cluster/client/types.ts';

let tc: TestCluster;
let admin: RestClient;
const clients: RestClient[] = [];

function clientAs(user: string, groups: string[], extra: Partial<ClientConfig> = {}): RestClient {
  const c = issueCert({ certPem: tc.cp.pki.caCertPem, keyPem: tc.cp.pki.caKeyPem }, { commonName: user, organizations: groups, usage: 'client', now: new Date(), validityDays: 1 });
  const client = new RestClient({ server: tc.cp.url, identity: { caPem: tc.cp.pki.caCertPem, certPem: c.certPem, keyPem: c.keyPem }, userAgent: `test/${user}`, ...extra }, { backoffInitialMs: 5 });
  clients.push(client);
  return client;
}

const until = async (cond: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), `timed out waiting for ${what}`);
};

before(async () => {
  tc = await startTestCluster();
  admin = new RestClient({ server: tc.cp.url, identity: { caPem: tc.cp.pki.caCertPem, certPem: tc.cp.pki.adminCertPem, keyPem: tc.cp.pki.adminKeyPem }, userAgent: 'test/admin' });
  clients.push(admin);
  await admin.create(resources.namespaces, '', { metadata: { name: 'cl' } });
});
after(async () => {
  for (const c of clients) c.close();
  await tc.close();
});

test('CRUD with typed errors: 404 NotFound, 409 AlreadyExists and Conflict, 403 Forbidden', async () => {
  const cm = await admin.create<K8sObject>(resources.configmaps, 'cl', { metadata: { name: 'a' }, data: { k: 'v' } });
  assert.equal(cm.metadata.namespace, 'cl');
  await assert.rejects(admin.create(resources.configmaps, 'cl', { metadata: { name: 'a' } }), (e: unknown) => {
    assert.ok(isAlreadyExists(e));
    assert.equal((e as ApiStatusError).code, 409);
    assert.equal((e as Error).message, 'configmaps "a" already exists');
    assert.deepEqual((e as ApiStatusError).details, { name: 'a', kind: 'configmaps' });
    return true;
  });
  const upd = await admin.update(resources.configmaps, 'cl', { ...cm, data: { k: 'w' } });
  assert.equal(upd.data.k, 'w');
  await assert.rejects(admin.update(resources.configmaps, 'cl', { ...cm, data: { k: 'x' } }), (e: unknown) => isConflict(e) && (e as ApiStatusError).code === 409);
  const patched = await admin.patch(resources.configmaps, 'cl', 'a', 'merge', { data: { p: '1' } });
  assert.deepEqual(patched.data, { k: 'w', p: '1' });
  const page = await admin.list(resources.configmaps, 'cl', { limit: 1 });
  assert.equal(page.items.length, 1);
  await admin.delete(resources.configmaps, 'cl', 'a');
  await assert.rejects(admin.get(resources.configmaps, 'cl', 'a'), (e: unknown) => {
    assert.ok(isNotFound(e));
    assert.equal((e as Error).message, 'configmaps "a" not found');
    return true;
  });
  const nobody = clientAs('nobody', []);
  await assert.rejects(nobody.get(resources.configmaps, 'cl', 'a'), (e: unknown) => {
    assert.ok(isForbidden(e));
    assert.equal((e as Error).message, 'configmaps "a" is forbidden: User "nobody" cannot get resource "configmaps" in API group "" in the namespace "cl"');
    return true;
  });
});

test('informer: sync, add/update/delete; after compaction and a broken watch it relists and converges', async () => {
  await admin.create(resources.configmaps, 'cl', { metadata: { name: 'pre' } });
  const factory = new SharedInformerFactory({ client: admin, namespace: 'cl', backoffInitialMs: 5, pageSize: 2 });
  const inf = factory.informer<K8sObject>(resources.configmaps);
  const log: string[] = [];
  inf.addEventHandler({ add: (o) => log.push(`add ${o.metadata.name}`), update: (_a, b) => log.push(`update ${b.metadata.name}`), delete: (o) => log.push(`delete ${o.metadata.name}`) });
  factory.start();
  await inf.synced();
  assert.ok(inf.get('cl', 'pre'));
  await admin.create(resources.configmaps, 'cl', { metadata: { name: 'b' } });
  await admin.patch(resources.configmaps, 'cl', 'b', 'merge', { data: { x: '1' } });
  await admin.delete(resources.configmaps, 'cl', 'pre');
  await until(() => log.includes('delete pre'), 'the delete');
  assert.deepEqual(log.filter((l) => !l.startsWith('add kube-root')), ['add pre', 'add b', 'update b', 'delete pre']);
  assert.deepEqual(inf.get('cl', 'b')?.data, { x: '1' });

  // Cut the informer off, change things, compact them out of the history: only a relist can see them.
  const before = inf.lists;
  assert.equal(factory.informer(resources.configmaps), inf, 'one informer per resource');
  await admin.delete(resources.configmaps, 'cl', 'b');
  await admin.create(resources.configmaps, 'cl', { metadata: { name: 'c' } });
  await tc.cp.store.compact(tc.cp.store.currentRevision());
  // Watches ride the transport's stream agent (requests have their own pool): break every socket of both.
  for (const agent of [admin.transport.agent, admin.transport.streamAgent]) for (const socks of Object.values(agent.sockets)) for (const s of socks ?? []) s.destroy();
  await until(() => inf.lists > before && !!inf.get('cl', 'c') && !inf.get('cl', 'b'), 'the relist');
  const server = (await admin.list(resources.configmaps, 'cl')).items.map((o) => o.metadata.name).sort();
  assert.deepEqual(inf.list().map((o) => o.metadata.name).sort(), server);
  factory.stop();
});

test('a watch from a compacted revision ends with 410 Expired', async () => {
  const old = (await admin.list(resources.configmaps, 'cl')).metadata.resourceVersion;
  await admin.create(resources.configmaps, 'cl', { metadata: { name: 'd' } });
  await tc.cp.store.compact(tc.cp.store.currentRevision());
  const events: WatchEvent<K8sObject>[] = [];
  const err = await new Promise<Error | undefined>((resolve) => admin.watch(resources.configmaps, 'cl', { resourceVersion: old }, (e) => events.push(e), resolve));
  // Either form upstream uses: an ERROR event carrying the 410 Status, or a 410 answer.
  const gone = err ? isResourceExpired(err) : events.some((e) => e.type === 'ERROR' && (e.object as unknown as { code: number }).code === 410);
  assert.ok(gone, `expected 410, got ${err?.message ?? JSON.stringify(events)}`);
});

test('protobuf: get, list and watch of pods decode to what JSON answers', async () => {
  const pb = clientAs('pb-admin', ['system:masters'], { protobuf: true });
  const start = (await admin.list(resources.pods, 'cl')).metadata.resourceVersion;
  const jsonEvents: WatchEvent<K8sObject>[] = [];
  const pbEvents: WatchEvent<K8sObject>[] = [];
  const h1 = admin.watch(resources.pods, 'cl', { resourceVersion: start }, (e) => jsonEvents.push(e), () => {});
  const h2 = pb.watch(resources.pods, 'cl', { resourceVersion: start }, (e) => pbEvents.push(e), () => {});
  const spec = { containers: [{ name: 'c', image: 'registry.example/app:1', resources: { limits: { cpu: '1', memory: '64Mi' } }, ports: [{ containerPort: 80 }] }] };
  await admin.create(resources.pods, 'cl', { metadata: { name: 'p1', labels: { app: 'x' } }, spec });
  await admin.create(resources.pods, 'cl', { metadata: { name: 'p2' }, spec });
  await until(() => jsonEvents.length >= 2 && pbEvents.length >= 2, 'watch events');
  assert.equal(pb.stats.protobufAnswers, 2, 'the watch events came as protobuf');
  h1.close();
  h2.close();
  assert.deepEqual(await pb.get(resources.pods, 'cl', 'p1'), await admin.get(resources.pods, 'cl', 'p1'));
  const [lj, lp] = [await admin.list(resources.pods, 'cl'), await pb.list(resources.pods, 'cl')];
  assert.deepEqual(lp.items, lj.items);
  assert.equal(lp.metadata.resourceVersion, lj.metadata.resourceVersion);
  assert.deepEqual(pbEvents, jsonEvents);
  assert.equal(pb.stats.protobufAnswers, 4, 'get and list answered in protobuf');
  assert.equal(admin.stats.protobufAnswers, 0);
});

test('leader election: two electors on one Lease, exactly one leads; the other takes over after it stops', async () => {
  const clock = new FakeClock();
  const events: string[] = [];
  const elector = (id: string) => startLeaderElection(clientAs(`elector-${id}`, ['system:masters']), {
    namespace: 'cl', name: 'portcullis-test', identity: id, leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000,
    onStartedLeading: () => events.push(`${id} started`), onStoppedLeading: () => events.push(`${id} stopped`),
  }, { timers: clock, now: clock.now });
  const a = elector('a');
  const b = elector('b');
  // Time moves only on the fake clock; the API calls in between take real time.
  const step = async (cond: () => boolean, what: string) => {
    for (let i = 0; i < 300 && !cond(); i++) {
      await clock.advance(1_000);
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(cond(), what);
  };
  await step(() => a.isLeader() || b.isLeader(), 'someone leads');
  assert.ok(a.isLeader() !== b.isLeader(), 'exactly one leads');
  const [first, second] = a.isLeader() ? [a, b] : [b, a];
  const firstId = a.isLeader() ? 'a' : 'b';
  const lease = await admin.get<K8sObject>(resources.leases, 'cl', 'portcullis-test');
  assert.equal(lease.spec.holderIdentity, firstId);
  let renewed = lease.spec.renewTime;
  const poll = setInterval(() => void admin.get<K8sObject>(resources.leases, 'cl', 'portcullis-test').then((l) => (renewed = l.spec.renewTime)), 20);
  await step(() => renewed !== lease.spec.renewTime, 'the leader renews');
  clearInterval(poll);
  assert.ok(first.isLeader() && !second.isLeader(), 'still the same one leads');
  await first.stop();
  await step(() => second.isLeader(), 'the other takes over');
  const after = await admin.get<K8sObject>(resources.leases, 'cl', 'portcullis-test');
  assert.equal(after.spec.holderIdentity, firstId === 'a' ? 'b' : 'a');
  assert.equal(after.spec.leaseTransitions, 1);
  assert.deepEqual(events, [`${firstId} started`, `${firstId} stopped`, `${firstId === 'a' ? 'b' : 'a'} started`]);
  await second.stop();
});

test('identities minted from the cluster CA authenticate as upstream components do', async () => {
  const ca = { certPem: tc.cp.pki.caCertPem, keyPem: tc.cp.pki.caKeyPem };
  const cases: [ComponentIdentity, string[]][] = [
    [KUBE_SCHEDULER, ['system:authenticated']],
    [controllerIdentity('replicaset-controller'), ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated']],
    [nodeIdentity('node-1'), ['system:nodes', 'system:authenticated']],
  ];
  for (const [id, groups] of cases) {
    const c = new RestClient(await componentClientConfig(tc.cp.url, ca, id, 'test', { now: new Date() }));
    clients.push(c);
    const review = await c.create<K8sObject>({ group: 'authentication.k8s.io', version: 'v1', resource: 'selfsubjectreviews', kind: 'SelfSubjectReview', namespaced: false }, '', { metadata: {} });
    assert.equal(review.status.userInfo.username, id.user);
    assert.deepEqual(review.status.userInfo.groups, groups);
  }
  const scheduler = new RestClient(await componentClientConfig(tc.cp.url, ca, KUBE_SCHEDULER, 'kube-scheduler', { now: new Date() }));
  clients.push(scheduler);
  await scheduler.list(resources.pods, '');
  await assert.rejects(scheduler.list(resources.secrets, ''), isForbidden);
});

test('a watch over the per-user cap is answered 429 and retried after Retry-After until a slot frees', async () => {
  const user = clientAs('watch-hog', ['system:masters']);
  const rv = (await admin.list(resources.configmaps, 'cl')).metadata.resourceVersion;
  await admin.create(resources.configmaps, 'cl', { metadata: { name: 'cap' } });
  // 250 watches (the server's per-user cap), each confirmed by its replayed event.
  const held: { close(): void }[] = [];
  let confirmed = 0;
  for (let i = 0; i < 250; i++) held.push(user.watch(resources.configmaps, 'cl', { resourceVersion: rv }, () => confirmed++, () => {}));
  await until(() => confirmed >= 250, 'the 250 watches');
  const delays: number[] = [];
  const freeing = new RestClient(user.config, {
    // Each retry wait frees one slot first: the retry is what gets the watch, without any timing.
    timers: { setTimeout: (fn, ms) => { delays.push(ms); held.pop()?.close(); return setTimeout(fn, 50); }, clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
  });
  clients.push(freeing);
  const got: WatchEvent<K8sObject>[] = [];
  let closedWith: Error | undefined;
  const h = freeing.watch(resources.configmaps, 'cl', { resourceVersion: rv }, (e) => got.push(e), (err) => (closedWith = err));
  await until(() => got.length > 0 || closedWith !== undefined, 'the capped watch');
  assert.equal(closedWith, undefined);
  assert.equal(got[0].object.metadata.name, 'cap');
  assert.ok(delays.length >= 1, 'answered 429 first');
  assert.equal(delays[0], 1000, "the server's Retry-After: 1");
  h.close();
  for (const w of held) w.close();
});
