import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LeaseBackfill } from './lease-backfill.ts';
import { KeyMapper } from './key-mapper.ts';
import type { TxnRequest } from './etcd-proto.ts';

/** A backfill on a fake etcd: grants are recorded with their TTL; every Txn succeeds. */
function fake(now: () => number, maxObjectCount?: number) {
  const grants: number[] = [];
  const puts: Array<{ key: string; lease: number }> = [];
  const b = new LeaseBackfill({
    client: {
      async leaseGrant(req) {
        grants.push(req.TTL);
        return { header: { revision: 1 }, ID: grants.length, TTL: req.TTL, error: '' };
      },
      async txn(req: TxnRequest) {
        const put = req.success[0].request_put!;
        puts.push({ key: put.key.toString(), lease: Number(put.lease) });
        return { header: { revision: 2 }, succeeded: true, responses: [] };
      },
    },
    read: async () => { throw new Error('not used'); },
    mapper: new KeyMapper('/registry', '/registry'),
    observe: () => {},
    toObject: () => undefined,
    now,
    maxObjectCount,
  });
  return { b, grants, puts };
}

test('each key goes on a lease that ends after its time left and within min(5%, 60 s) of it; nearby keys share leases in any order', async () => {
  const now = 1_700_000_123_456;
  const { b, grants, puts } = fake(() => now);
  // 2,000 Events with 600..3,600 s left, in key order (random as to time left).
  const left = Array.from({ length: 2000 }, (_, i) => 600 + ((i * 7919) % 3001));
  const given = await b.attach(left.map((ttlSeconds, i) => ({ key: `/registry/core/events/ns/e${i}`, modRevision: 10 + i, ttlSeconds })));
  assert.equal(given, 2000);
  assert.ok(grants.length <= 70, `${grants.length} leases for an hour's spread (a grant per 30-60 s of it)`);
  const ttlOf = new Map(puts.map((p) => [p.key, grants[p.lease - 1]]));
  left.forEach((r, i) => {
    const granted = ttlOf.get(`/registry/events/ns/e${i}`)!;
    const window = Math.min(60, Math.floor(0.05 * r));
    assert.ok(granted > r && granted <= r + window, `${r} s left got a lease of ${granted} s`);
  });
});

test('a passed key gets 2 s left; a full lease is not reused', async () => {
  const { b, grants } = fake(() => 5_000, 2);
  await b.attach([0, 0, 0].map((ttlSeconds, i) => ({ key: `/registry/core/events/ns/p${i}`, modRevision: 1 + i, ttlSeconds })));
  assert.deepEqual(grants, [3, 3], '2 s left: the lease ends on the first whole second after them; two keys each');
});
