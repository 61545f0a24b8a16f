/**
 * The store conformance suite on etcd (one member of Debian's etcd 3.4), plus what only etcd
 * shows: --etcd-prefix placement of keys, objects near etcd's request limit, a restart of the
 * member. Each conformance test gets its own etcd (on the directory the suite hands out), so
 * revisions and compaction are the test's own, and "restart" reopens the same data.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Etcd3 } from 'etcd3';
import { openEtcdStore } from '../../src/storage/etcd/etcd-store.ts';
import { createEtcdClient } from '../../src/storage/etcd/etcd-client.ts';
import { MAX_OBJECT_BYTES, RequestTooLargeError } from '../../src/storage/write-check.ts';
import { StorageError, type Store, type WatchEvent } from '../../src/storage/types.ts';
import { etcdSkip, startEtcd, type EtcdCluster } from '../helpers/etcd.ts';
import { openEtcdFixture, type EtcdStoreFixture } from '../helpers/etcd-store.ts';
import { runStoreConformance } from './conformance.ts';

const skip = etcdSkip();

if (!skip) {
  // One etcd per data directory the suite hands out (reopening a directory reaches the same
  // member, with its data). Tests run one after another: a new directory retires the last etcd.
  let current: { dir: string; cluster: EtcdCluster } | undefined;
  after(async () => current?.cluster.stop());
  runStoreConformance(
    'etcd',
    async (dir) => {
      if (current?.dir !== dir) {
        await current?.cluster.stop();
        current = { dir, cluster: await startEtcd(1) };
      }
      return openEtcdStore({ client: createEtcdClient({ servers: current.cluster.servers }), root: '', prefix: '/conformance' });
    },
    { reopen: true },
  );
} else {
  test('etcd store', { skip }, () => {});
}

describe('etcd store: what only etcd shows', { skip }, () => {
  let etcd: EtcdStoreFixture | undefined;
  let cluster: EtcdCluster;
  let store: Store;
  let raw: Etcd3;
  before(async () => ({ cluster, raw, store } = etcd = await openEtcdFixture('/cluster-a')));
  after(() => etcd?.close());

  test('--etcd-prefix: the /registry root lives under the prefix, nothing outside it', async () => {
    const created = await store.create('/registry/core/pods/ns/p', { kind: 'Pod' });
    assert.deepEqual(JSON.parse((await raw.get('/cluster-a/pods/ns/p').string()) ?? 'null'), { kind: 'Pod' });
    assert.deepEqual(await raw.getAll().prefix('/registry').keys(), []);
    assert.deepEqual((await store.list('/registry/core/pods/')).items, [created]);
    await assert.rejects(store.create('/elsewhere/x', {}), /outside the store root/);
  });

  test("kube-apiserver's layout: a group's resources read through one filtered range; an earlier Portcullis layout is refused at start", async () => {
    const role = await store.create('/registry/rbac.authorization.k8s.io/roles/ns/r', { kind: 'Role' });
    const binding = await store.create('/registry/rbac.authorization.k8s.io/rolebindings/ns/b', { kind: 'RoleBinding' });
    await store.create('/registry/core/configmaps/other/between', { kind: 'ConfigMap' });
    assert.deepEqual(await raw.getAll().prefix('/cluster-a/role').keys(), ['/cluster-a/rolebindings/ns/b', '/cluster-a/roles/ns/r']);
    const group = '/registry/rbac.authorization.k8s.io/';
    const first = await store.list(group, { limit: 1 });
    assert.equal(first.items.length, 1);
    const rest = await store.list(group, { continue: first.continue });
    assert.deepEqual([...first.items, ...rest.items].map((o) => o.key).sort(), [binding.key, role.key]);
    assert.equal(await store.count(group), 2);
    await raw.put('/cluster-old/core/namespaces/default').value('{}').exec();
    await assert.rejects(openEtcdStore({ client: createEtcdClient({ servers: cluster.servers }), prefix: '/cluster-old' }), /key layout of an earlier Portcullis/);
  });

  test('big values: up to etcd\'s request limit round-trip, past it is "request is too large"', async () => {
    const big = { data: 'x'.repeat(MAX_OBJECT_BYTES - 4096) };
    const obj = await store.create('/registry/core/configmaps/ns/big', big);
    assert.equal(((await store.get<typeof big>('/registry/core/configmaps/ns/big'))?.value.data.length), big.data.length);
    assert.equal(obj.modRevision, store.currentRevision());
    await assert.rejects(store.create('/registry/core/configmaps/ns/huge', { data: 'x'.repeat(MAX_OBJECT_BYTES) }), RequestTooLargeError);
    // Several big objects in one list exceed gRPC's default 4 MiB message: the client takes them.
    for (const n of [1, 2, 3]) await store.create(`/registry/core/configmaps/ns/big${n}`, big);
    assert.equal((await store.list('/registry/core/configmaps/ns/')).items.length, 4);
  });

  test('a compaction by another client: reads and watches below it are Compacted, and the store learns it', async () => {
    const a = await store.create('/registry/core/configmaps/ns/c1', { v: 1 });
    await store.update('/registry/core/configmaps/ns/c1', { v: 2 }, a.modRevision);
    for (const n of [1, 2]) await raw.put(`/cluster-a/configmaps/ns/c${n + 2}`).value('{}').exec();
    const at = (await raw.put('/cluster-a/configmaps/ns/c2').value('{}').exec()).header.revision;
    await raw.kv.compact({ revision: at });
    assert.ok(store.compactedRevision() < a.modRevision, 'not known yet');
    await assert.rejects(store.list('/registry/core/configmaps/', { atRevision: a.modRevision }), (e: unknown) => e instanceof StorageError && e.code === 'Compacted');
    assert.ok(store.compactedRevision() > a.modRevision);
    // A watch from a revision etcd compacted ends as etcd ends it, and the store learns the exact revision.
    const from = store.compactedRevision();
    assert.ok(from + 1 < Number(at));
    const ended = await new Promise<Error>((resolve) => store.watch('/registry/', from, { onEvent() {}, onError: resolve }));
    assert.ok(ended instanceof StorageError && ended.code === 'Compacted', String(ended));
    assert.equal(store.compactedRevision(), Number(at));
  });

  test('a write by another client moves the revision once a watch sees it', async () => {
    const seen: number[] = [];
    let onSeen: () => void = () => {};
    const w = store.watch('/registry/', store.currentRevision(), {
      onEvent(e) {
        seen.push(e.revision);
        onSeen();
      },
    });
    const put = await raw.put('/cluster-a/configmaps/ns/foreign').value('{"by":"raw"}').exec();
    const rev = Number(put.header.revision);
    if (!seen.includes(rev)) await new Promise<void>((r) => (onSeen = () => seen.includes(rev) && r()));
    assert.equal(store.currentRevision(), rev);
    w.close();
  });

  test('a list larger than the HTTP/2 windows and the session memory arrives whole, in one Range', async () => {
    const big = 'x'.repeat(64 * 1024);
    const keys = Array.from({ length: 320 }, (_, i) => `/registry/core/configmaps/big/c${String(i).padStart(4, '0')}`);
    for (let i = 0; i < keys.length; i += 32) await Promise.all(keys.slice(i, i + 32).map((k) => raw.put(`/cluster-a${k.slice('/registry/core'.length)}`).value(JSON.stringify({ big })).exec()));
    const listed = await store.list('/registry/core/configmaps/big/');
    assert.equal(listed.items.length, keys.length);
    assert.deepEqual(listed.items.map((o) => o.key), keys);
    assert.ok(listed.items.every((o) => (o.value as { big: string }).big === big));
  });

  test("this store's own writes reach its watches and reads as the object the write returned; another client's value is parsed", async () => {
    const events: WatchEvent[] = [];
    let onSeen: () => void = () => {};
    const w = store.watch('/registry/core/configmaps/shared/', store.currentRevision(), {
      onEvent(e) {
        events.push(e);
        onSeen();
      },
    });
    // Resolves at once when the events are already there: a store's delete can answer after its
    // own event was delivered, and a promise waiting only for the next event would wait forever.
    const until = (n: number) => (events.length >= n ? Promise.resolve() : new Promise<void>((r) => (onSeen = () => void (events.length >= n && r()))));
    const created = await store.create('/registry/core/configmaps/shared/a', { data: { v: '1' } });
    const updated = await store.update('/registry/core/configmaps/shared/a', { data: { v: '2' } }, created.modRevision);
    await raw.put('/cluster-a/configmaps/shared/a').value('{"data":{"v":"raw"}}').exec();
    await until(3);
    assert.equal(events[0].value, created.value, 'ADDED carries the created object itself');
    assert.equal(events[1].value, updated.value, 'MODIFIED carries the updated object');
    assert.equal(events[1].prevValue, created.value, 'and the value before it, also shared');
    assert.deepEqual(events[2].value, { data: { v: 'raw' } }, "another client's write is read from its bytes");
    assert.equal(events[2].prevValue, updated.value);
    const removed = await store.delete('/registry/core/configmaps/shared/a');
    assert.deepEqual(removed.value, { data: { v: 'raw' } });
    await until(4);
    assert.equal(events[3].type, 'DELETED');
    assert.deepEqual(events[3].value, { data: { v: 'raw' } });
    const again = await store.create('/registry/core/configmaps/shared/a', { data: { v: '3' } });
    assert.equal((await store.get('/registry/core/configmaps/shared/a'))?.value, again.value, 'a read of it too');
    w.close();
  });
});

test('TLS: --etcd-cafile/--etcd-certfile/--etcd-keyfile reach an etcd that requires client certificates', { skip, timeout: 60_000 }, async () => {
  const tlsCluster = await startEtcd(1, { tls: true });
  try {
    const files = tlsCluster.tls!;
    const s = await openEtcdStore({ client: createEtcdClient({ servers: tlsCluster.servers, ...files }) });
    try {
      const made = await s.create('/registry/core/secrets/ns/s', { kind: 'Secret' });
      assert.deepEqual(await s.get('/registry/core/secrets/ns/s'), made);
    } finally {
      await s.close();
    }
    // The same etcd without a client certificate: the start fails, it does not serve.
    const client = createEtcdClient({ servers: tlsCluster.servers, caFile: files.caFile });
    await assert.rejects(openEtcdStore({ client }), (err: unknown) => err instanceof StorageError && err.code === 'Internal');
  } finally {
    await tlsCluster.stop();
  }
});
