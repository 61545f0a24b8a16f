/**
 * Events stored on etcd without a lease (before --event-ttl, or while it was 0) are attached to one
 * at start (lease-backfill.ts through expiry-backfill.ts): their last write + the TTL, or soon when
 * that has passed; a concurrent write is never lost (the re-put is guarded by mod_revision).
 * Needs Debian's etcd (skipped without it, failed under PORTCULLIS_REQUIRE_ALL=1).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Etcd3 } from 'etcd3';
import { withKeyTtl } from '../../src/storage/key-ttl-store.ts';
import { eventWrittenAt } from '../../src/storage/event-written-at.ts';
import type { Store, WatchEvent } from '../../src/storage/types.ts';
import { etcdSkip } from '../helpers/etcd.ts';
import { openEtcdFixture, type EtcdStoreFixture } from '../helpers/etcd-store.ts';
import { until } from '../helpers/kubectl-session.ts';

const skip = etcdSkip();
const EVENTS = '/registry/core/events/';
const MIN = 60_000;
const event = (name: string, msAgo: number) => ({ kind: 'Event', metadata: { name, namespace: 'ns', creationTimestamp: new Date(Date.now() - msAgo).toISOString() }, lastTimestamp: new Date(Date.now() - msAgo).toISOString() });

describe('etcd: Events without a lease get one', { skip }, () => {
  let etcd: EtcdStoreFixture | undefined;
  let raw: Etcd3;
  let store: Store;
  before(async () => ({ raw, store } = etcd = await openEtcdFixture('/bf')));
  after(() => etcd?.close());
  const leaseOf = async (k: string) => (await raw.get(`/bf/${k}`).exec()).kvs[0]?.lease;
  const grantedTtl = async (k: string) => Number((await raw.leaseClient.leaseTimeToLive({ ID: (await leaseOf(k))!, keys: false })).grantedTTL);

  test('recent: last write + TTL; encrypted: the full TTL; passed: deleted soon; leased and other keys untouched', { timeout: 60_000 }, async () => {
    await store.create(`${EVENTS}ns/old`, event('old', 120 * MIN));
    const recentValue = event('recent', 50 * MIN);
    await store.create(`${EVENTS}ns/recent`, recentValue);
    await store.create(`${EVENTS}ns/sealed`, 'k8s:enc:aesgcm:v1:k1:AAAA');
    await store.create(`${EVENTS}ns/leased`, event('leased', 0), { ttlSeconds: 3600 });
    await store.create('/registry/core/pods/ns/p', { kind: 'Pod' });
    const leasedBefore = await leaseOf('events/ns/leased');
    assert.equal(await leaseOf('events/ns/recent'), '0');
    const events: WatchEvent[] = [];
    const w = store.watch(EVENTS, store.currentRevision(), { onEvent: (e) => events.push(e) });
    let finished!: (n: number) => void;
    const done = new Promise<number>((r) => (finished = r));
    withKeyTtl(store, [{ prefix: EVENTS, ttlSeconds: 3600, writtenAt: eventWrittenAt }], { chunk: 2, pauseMs: 0, onDone: (_, n) => finished(n) });
    assert.equal(await done, 3);
    // 10 min left of the hour: a lease that ends within 30 s (5%) after those 600 s.
    const recent = await grantedTtl('events/ns/recent');
    assert.ok(recent >= 600 && recent <= 631, `recent: ${recent}`);
    const sealed = await grantedTtl('events/ns/sealed');
    assert.ok(sealed > 3600 && sealed <= 3660, `says nothing: the hour from now, within 60 s: ${sealed}`);
    assert.equal(await leaseOf('events/ns/leased'), leasedBefore);
    assert.equal(await leaseOf('pods/ns/p'), '0');
    await until('the passed Event to be deleted by etcd', async () => ((await store.get(`${EVENTS}ns/old`)) === undefined ? true : undefined));
    await until('the DELETED event', async () => events.find((e) => e.type === 'DELETED'));
    // The attach is a put with the same value: a MODIFIED, then the lessor's DELETED.
    assert.deepEqual(events.filter((e) => e.key === `${EVENTS}ns/old`).map((e) => e.type), ['MODIFIED', 'DELETED']);
    assert.deepEqual((await store.get(`${EVENTS}ns/recent`))?.value, recentValue, 'the re-put keeps the value');
    w.close();
    // A second run (a restart) finds nothing left.
    let again!: (n: number) => void;
    const second = new Promise<number>((r) => (again = r));
    withKeyTtl(store, [{ prefix: EVENTS, ttlSeconds: 3600, writtenAt: eventWrittenAt }], { chunk: 2, pauseMs: 0, onDone: (_, n) => again(n) });
    assert.equal(await second, 0);
  });

  test('a key written between the page and the attach keeps what that write gave it', async () => {
    const a = await store.create(`${EVENTS}race/a`, { n: 1 });
    const keys = store.unexpiring!();
    const page = await keys.page(`${EVENTS}race/`, undefined, 10);
    assert.deepEqual(page.items.map((o) => [o.key, o.modRevision]), [[`${EVENTS}race/a`, a.modRevision]]);
    const b = await store.update(`${EVENTS}race/a`, { n: 2 }, a.modRevision);
    assert.equal(await keys.attach([{ key: `${EVENTS}race/a`, modRevision: a.modRevision, ttlSeconds: 0 }]), 0);
    const now = await store.get(`${EVENTS}race/a`);
    assert.deepEqual(now?.value, { n: 2 });
    assert.equal(now?.modRevision, b.modRevision);
    assert.equal(await leaseOf('events/race/a'), '0');
    // Still at the revision read: attached, value kept.
    assert.equal(await keys.attach([{ key: `${EVENTS}race/a`, modRevision: b.modRevision, ttlSeconds: 100 }]), 1);
    assert.notEqual(await leaseOf('events/race/a'), '0');
    assert.deepEqual((await store.get(`${EVENTS}race/a`))?.value, { n: 2 });
    const raced = await grantedTtl('events/race/a');
    assert.ok(raced > 100 && raced <= 105, `100 s left, within 5 s: ${raced}`);
  });
});
