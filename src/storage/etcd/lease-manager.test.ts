import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LeaseManager } from './lease-manager.ts';

function manager(opts: { maxObjectCount?: number } = {}) {
  const clock = { t: 0 };
  const grants: number[] = [];
  const m = new LeaseManager({ grant: async (ttl) => (grants.push(ttl), grants.length) }, { ...opts, now: () => clock.t });
  return { m, clock, grants };
}

test('a lease is reused while it expires after the TTL and within the reuse window (min(5% of ttl, 60 s))', async () => {
  const { m, clock, grants } = manager();
  // ttl 3600 s: reuse 60 s, so the lease is granted for 3660 s.
  assert.equal(await m.getLease(3600), 1);
  assert.deepEqual(grants, [3660]);
  clock.t += 59_999;
  assert.equal(await m.getLease(3600), 1);
  clock.t += 1; // now + ttl == expiry: no longer valid
  assert.equal(await m.getLease(3600), 2);
  assert.deepEqual(grants, [3660, 3660]);
  // ttl 100 s: reuse 5 s.
  assert.equal(await m.getLease(100), 3);
  assert.deepEqual(grants.at(-1), 105);
  // A ttl under 20 s gets no reuse window: every write its own lease.
  assert.equal(await m.getLease(2), 4);
  assert.equal(await m.getLease(2), 5);
  assert.deepEqual(grants.slice(-2), [2, 2]);
});

test('a longer TTL than the lease can cover, or a full lease, gets a new one', async () => {
  const { m, clock, grants } = manager({ maxObjectCount: 3 });
  await m.getLease(1000); // 1050 s
  clock.t += 1000;
  assert.equal(await m.getLease(1000), 1);
  assert.equal(await m.getLease(2000), 2); // not valid: it would expire before 2000 s
  assert.equal(await m.getLease(2000), 2);
  assert.equal(await m.getLease(2000), 2);
  assert.equal(await m.getLease(2000), 3); // the fourth key
  assert.equal(grants.length, 3);
});

test('writes that ask together share one grant', async () => {
  const { m, grants } = manager();
  const ids = await Promise.all(Array.from({ length: 20 }, () => m.getLease(3600)));
  assert.deepEqual(new Set(ids), new Set([1]));
  assert.equal(grants.length, 1);
  assert.equal(m.granted, 1);
});

test('a failed grant fails its write and the next write asks again', async () => {
  let fail = true;
  const m = new LeaseManager({ grant: async () => { if (fail) throw new Error('etcdserver: no leader'); return 7; } });
  await assert.rejects(m.getLease(3600), /no leader/);
  fail = false;
  assert.equal(await m.getLease(3600), 7);
});

test("each grant reports the replaced lease's requests, the asking one included, as upstream's UpdateLeaseObjectCount", async () => {
  const observed: number[] = [];
  let fail = false;
  const m = new LeaseManager({ grant: async () => { if (fail) throw new Error('etcdserver: no leader'); return observed.length + 1; } }, { maxObjectCount: 3, now: () => 0, onGrant: (n) => observed.push(n) });
  await m.getLease(3600); // the first grant: 1 (upstream counts the request before granting)
  assert.deepEqual(observed, [1]);
  await m.getLease(3600);
  await m.getLease(3600);
  assert.deepEqual(observed, [1], 'reuse observes nothing');
  fail = true;
  await assert.rejects(m.getLease(3600)); // full: a grant is asked for and fails, still counted
  fail = false;
  await m.getLease(3600);
  assert.deepEqual(observed, [1, 5]);
});
