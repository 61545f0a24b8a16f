/**
 * Keys written with a TTL on etcd (issue 18): put with a lease from the store's lease manager,
 * deleted by etcd when it expires, and the store's watch sees the delete. Needs Debian's etcd
 * (skipped without it, failed under PORTCULLIS_REQUIRE_ALL=1). etcd's lessor checks expiry every
 * 500 ms and its shortest lease is about 2 s, so these take a few seconds.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Etcd3 } from 'etcd3';
import type { Store, WatchEvent } from '../../src/storage/types.ts';
import { etcdSkip } from '../helpers/etcd.ts';
import { openEtcdFixture } from '../helpers/etcd-store.ts';
import { until } from '../helpers/kubectl-session.ts';

const skip = etcdSkip();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('etcd store: keys with a TTL', { skip }, () => {
  // One etcd member for the file, with the store on it and a raw client to look at leases.
  const opened = skip ? undefined : openEtcdFixture('/ttl');
  let store: Store;
  let raw: Etcd3;
  before(async () => ({ store, raw } = (await opened)!));
  after(async () => (await opened)?.close());

  test('a key created with a TTL is deleted by etcd after it; a watcher sees DELETED; others stay', async () => {
    const events: WatchEvent[] = [];
    const w = store.watch('/registry/core/events/', store.currentRevision(), { onEvent: (e) => events.push(e) });
    const start = Date.now();
    const made = await store.create('/registry/core/events/ns/a', { n: 1 }, { ttlSeconds: 2 });
    await store.create('/registry/core/events/ns/forever', { n: 2 });
    // In etcd: the TTL key is attached to a lease of 2 s (under 20 s no reuse window is added), the other to none.
    const leased = (await raw.get('/ttl/events/ns/a').exec()).kvs[0];
    assert.notEqual(leased.lease, '0');
    assert.equal((await raw.get('/ttl/events/ns/forever').exec()).kvs[0].lease, '0');
    const granted = await raw.leaseClient.leaseTimeToLive({ ID: leased.lease, keys: true });
    assert.equal(String(granted.grantedTTL), '2');
    assert.deepEqual(granted.keys.map((k) => k.toString()), ['/ttl/events/ns/a']);
    await until('the DELETED event', async () => events.find((e) => e.type === 'DELETED'));
    const elapsed = Date.now() - start;
    assert.ok(elapsed >= 1900, `deleted after ${elapsed} ms, before its TTL`);
    const deleted = events.find((e) => e.type === 'DELETED');
    assert.equal(deleted?.key, '/registry/core/events/ns/a');
    assert.ok((deleted?.revision ?? 0) > made.modRevision);
    assert.equal(await store.get('/registry/core/events/ns/a'), undefined);
    assert.ok(await store.get('/registry/core/events/ns/forever'));
    w.close();
  });

  test('an update with a TTL renews it; one without clears it', async () => {
    const a = await store.create('/registry/core/events/ns/renewed', { v: 1 }, { ttlSeconds: 3 });
    const b = await store.create('/registry/core/events/ns/cleared', { v: 1 }, { ttlSeconds: 3 });
    await store.update('/registry/core/events/ns/cleared', { v: 2 }, b.modRevision);
    await sleep(2000);
    await store.update('/registry/core/events/ns/renewed', { v: 2 }, a.modRevision, { ttlSeconds: 3 });
    await sleep(2000); // 4 s after the create, 2 s after the renewal
    assert.deepEqual((await store.get('/registry/core/events/ns/renewed'))?.value, { v: 2 });
    await until('the renewed key to expire', async () => ((await store.get('/registry/core/events/ns/renewed')) === undefined ? true : undefined));
    await sleep(1000);
    assert.deepEqual((await store.get('/registry/core/events/ns/cleared'))?.value, { v: 2 });
  });
});
