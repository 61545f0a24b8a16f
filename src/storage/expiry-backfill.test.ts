import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExpiryBackfill, remainingSeconds } from './expiry-backfill.ts';
import { eventWrittenAt } from './event-written-at.ts';
import type { ExpiryGrant, UnexpiringKeys } from './unexpiring-keys.ts';
import type { StoredObject } from './types.ts';

test('remainingSeconds: last write + TTL, whole seconds rounded up, between 0 (passed) and the TTL', () => {
  const now = 1_000_000;
  assert.equal(remainingSeconds(now - 10_000, 3600, now), 3590);
  assert.equal(remainingSeconds(now - 10_500, 3600, now), 3590);
  assert.equal(remainingSeconds(now - 3_600_000, 3600, now), 0);
  assert.equal(remainingSeconds(now - 99 * 3_600_000, 3600, now), 0);
  assert.equal(remainingSeconds(undefined, 3600, now), 3600, 'unknown: the full TTL');
  assert.equal(remainingSeconds(now + 86_400_000, 3600, now), 3600, 'a time in the future counts as now');
  assert.equal(remainingSeconds(NaN, 60, now), 60);
});

test("eventWrittenAt: the latest of an Event's own times; undefined for a value that has none", () => {
  const at = (s: string) => Date.parse(s);
  assert.equal(eventWrittenAt({ metadata: { creationTimestamp: '2026-01-01T00:00:00Z' }, lastTimestamp: '2026-01-01T00:05:00Z', firstTimestamp: '2026-01-01T00:00:00Z' }), at('2026-01-01T00:05:00Z'));
  assert.equal(eventWrittenAt({ metadata: { creationTimestamp: '2026-01-01T00:00:00Z' }, eventTime: '2026-01-01T00:00:01.500000Z', series: { count: 3, lastObservedTime: '2026-01-01T00:09:00.000001Z' } }), at('2026-01-01T00:09:00.000Z'));
  assert.equal(eventWrittenAt({ metadata: { creationTimestamp: '2026-01-01T00:00:00Z', managedFields: [{ manager: 'a', time: '2026-01-02T00:00:00Z' }, { manager: 'b' }] }, lastTimestamp: null }), at('2026-01-02T00:00:00Z'));
  assert.equal(eventWrittenAt('k8s:enc:aesgcm:v1:key1:...'), undefined);
  assert.equal(eventWrittenAt({ metadata: { creationTimestamp: 'yesterday' } }), undefined);
  assert.equal(eventWrittenAt(null), undefined);
});

/** Keys in memory: `leased` have an expiry; attach gives one to a key still at its revision. */
function fakeKeys(n: number) {
  const objs = new Map<string, StoredObject>();
  for (let i = 0; i < n; i++) {
    const key = `/e/${String(i).padStart(3, '0')}`;
    objs.set(key, { key, value: { at: i }, createRevision: i + 1, modRevision: i + 1 });
  }
  const leased = new Map<string, number>();
  const calls: string[] = [];
  let failNext = 0;
  const keys: UnexpiringKeys = {
    async page(prefix, cursor, limit) {
      calls.push(`page ${cursor ?? '-'}`);
      if (failNext > 0 && failNext-- > 0) throw new Error('etcdserver: request timed out');
      const all = [...objs.keys()].filter((k) => k.startsWith(prefix) && (cursor === undefined || k >= cursor)).sort().slice(0, limit);
      const items = all.filter((k) => !leased.has(k)).map((k) => objs.get(k)!);
      return { items, examined: all.length, next: all.length === limit ? all[all.length - 1] + '\u0000' : undefined };
    },
    async attach(grants: ExpiryGrant[]) {
      calls.push(`attach ${grants.length}`);
      let n = 0;
      for (const g of grants) {
        if (objs.get(g.key)?.modRevision !== g.modRevision || leased.has(g.key)) continue;
        leased.set(g.key, g.ttlSeconds);
        n++;
      }
      return n;
    },
  };
  return { keys, objs, leased, calls, failOnce: (k: number) => (failNext = k) };
}

test('every key without an expiry gets its remaining TTL, a page at a time, pausing only after a page that gave some', async () => {
  const f = fakeKeys(7);
  f.leased.set('/e/002', 99); // already has one: untouched
  // /e/i was last written at i + 4 s; at 10 s, under a TTL of 8 s, it has i + 2 s left.
  const now = 10_000;
  const b = new ExpiryBackfill({ keys: f.keys, prefix: '/e/', ttlSeconds: 8, writtenAt: (v) => (v as { at: number }).at * 1000 + 4000, now: () => now, chunk: 3, pauseMs: 1 });
  assert.equal(await b.done, 6);
  assert.deepEqual(Object.fromEntries(f.leased), { '/e/000': 2, '/e/001': 3, '/e/002': 99, '/e/003': 5, '/e/004': 6, '/e/005': 7, '/e/006': 8 });
  assert.deepEqual(f.calls, ['page -', 'attach 2', 'page /e/002\u0000', 'attach 3', 'page /e/005\u0000', 'attach 1']);
  // Run again (a restart): nothing is left to give, and pages that give nothing do not pause.
  f.calls.length = 0;
  assert.equal(await new ExpiryBackfill({ keys: f.keys, prefix: '/e/', ttlSeconds: 8, writtenAt: () => 0, chunk: 3, pauseMs: 60_000 }).done, 0);
  assert.deepEqual(f.calls, ['page -', 'page /e/002\u0000', 'page /e/005\u0000']);
});

test('a key written between the page and the attach keeps what its write gave it', async () => {
  const f = fakeKeys(2);
  const page = f.keys.page.bind(f.keys);
  f.keys.page = async (...a) => {
    const p = await page(...a);
    f.objs.set('/e/001', { ...f.objs.get('/e/001')!, modRevision: 50 }); // a concurrent update
    return p;
  };
  assert.equal(await new ExpiryBackfill({ keys: f.keys, prefix: '/e/', ttlSeconds: 60, writtenAt: () => undefined, chunk: 10 }).done, 1);
  assert.deepEqual([...f.leased.keys()], ['/e/000']);
});

test('a failed step is tried again from where it stopped; stop() ends the migration', async () => {
  const f = fakeKeys(4);
  const errors: unknown[] = [];
  f.failOnce(1);
  const b = new ExpiryBackfill({ keys: f.keys, prefix: '/e/', ttlSeconds: 60, writtenAt: () => undefined, chunk: 2, pauseMs: 0, retryMs: 1, onError: (e) => errors.push(e) });
  assert.equal(await b.done, 4);
  assert.equal(errors.length, 1);
  assert.deepEqual(f.calls.filter((c) => c.startsWith('page')), ['page -', 'page -', 'page /e/001\u0000', 'page /e/003\u0000']);

  const g = fakeKeys(10);
  const slow = new ExpiryBackfill({ keys: g.keys, prefix: '/e/', ttlSeconds: 60, writtenAt: () => undefined, chunk: 2, pauseMs: 60_000 });
  while (g.leased.size === 0) await new Promise((r) => setTimeout(r, 1));
  await slow.stop();
  assert.equal(await slow.done, 2, 'stopped in the pause after the first page');
  assert.equal(g.leased.size, 2);
});
