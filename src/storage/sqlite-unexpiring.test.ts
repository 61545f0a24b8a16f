import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openSqliteStore } from './sqlite.ts';
import { withKeyTtl, type BackfillPacing } from './key-ttl-store.ts';
import { eventWrittenAt } from './event-written-at.ts';
import type { Store } from './types.ts';
import { withTempDir } from '../../test/helpers/temp-dir.ts';

const MIN = 60_000;
const EVENTS = '/registry/core/events/';
const event = (name: string, createdMsAgo: number, now: number) => ({ kind: 'Event', metadata: { name, namespace: 'ns', creationTimestamp: new Date(now - createdMsAgo).toISOString() }, lastTimestamp: new Date(now - createdMsAgo).toISOString() });

/** The Event TTL rule of the control plane over `store`; resolves `done` with how many got an expiry. */
function eventTtl(store: Store, pacing: BackfillPacing) {
  let done!: (n: number) => void;
  const finished = new Promise<number>((r) => (done = r));
  const s = withKeyTtl(store, [{ prefix: EVENTS, ttlSeconds: 3600, writtenAt: eventWrittenAt }], { ...pacing, onDone: (_, n) => done(n) });
  return { s, finished };
}

test('Events stored without an expiry get their last write + the TTL; passed ones are swept; others untouched', async () => {
  const clock = { t: Date.parse('2026-06-01T00:00:00Z') };
  const raw = openSqliteStore({ path: ':memory:', durability: 'normal', now: () => clock.t, expirySweepMs: 2 ** 30 });
  await raw.create(`${EVENTS}ns/old`, event('old', 120 * MIN, clock.t));
  await raw.create(`${EVENTS}ns/recent`, event('recent', 10 * MIN, clock.t));
  await raw.create(`${EVENTS}ns/sealed`, 'k8s:enc:aesgcm:v1:k1:AAAA');
  await raw.create(`${EVENTS}ns/renewed`, event('renewed', 5 * MIN, clock.t), { ttlSeconds: 60 });
  await raw.create('/registry/pods/ns/p', { kind: 'Pod' });
  const { s, finished } = eventTtl(raw, { now: () => clock.t, chunk: 2, pauseMs: 0 });
  assert.equal(await finished, 3);
  // The old one is due now: the next sweep removes it (an ordinary delete); the one written with a
  // TTL keeps its own 60 s.
  assert.equal(await raw.expireDue(), 1);
  assert.equal(await raw.get(`${EVENTS}ns/old`), undefined);
  clock.t += MIN;
  assert.equal(await raw.expireDue(), 1);
  assert.equal(await raw.get(`${EVENTS}ns/renewed`), undefined);
  clock.t += 49 * MIN - 1;
  assert.equal(await raw.expireDue(), 0);
  clock.t += 1; // 50 min: the recent one's hour since its write
  assert.equal(await raw.expireDue(), 1);
  clock.t += 10 * MIN; // the encrypted one says nothing: the full hour from the migration
  assert.equal(await raw.expireDue(), 1);
  assert.deepEqual((await raw.list('/registry/')).items.map((o) => o.key), ['/registry/pods/ns/p']);
  await s.close();
});

test('a key written between the page and the attach keeps what that write gave it', async () => {
  const clock = { t: 1_000_000 };
  const raw = openSqliteStore({ path: ':memory:', durability: 'normal', now: () => clock.t, expirySweepMs: 2 ** 30 });
  const a = await raw.create(`${EVENTS}ns/a`, { n: 1 });
  const keys = raw.unexpiring!();
  const page = await keys.page(EVENTS, undefined, 10);
  assert.deepEqual(page.items.map((o) => o.key), [`${EVENTS}ns/a`]);
  await raw.update(`${EVENTS}ns/a`, { n: 2 }, a.modRevision); // no TTL: it never expires
  assert.equal(await keys.attach([{ key: `${EVENTS}ns/a`, modRevision: a.modRevision, ttlSeconds: 0 }]), 0);
  clock.t += 10 * 365 * 24 * 60 * MIN;
  assert.equal(await raw.expireDue(), 0);
  assert.deepEqual((await raw.get(`${EVENTS}ns/a`))?.value, { n: 2 });
  await raw.close();
});

test('resumable: a stop half way leaves the given expiries, and the next start gives the rest', async () =>
  withTempDir('portcullis-unexpiring-', async (dir) => {
    const clock = { t: Date.parse('2026-06-01T00:00:00Z') };
    const open = () => openSqliteStore({ path: join(dir, 'state.db'), durability: 'normal', now: () => clock.t, expirySweepMs: 2 ** 30 });
    const first = open();
    for (let i = 0; i < 5; i++) await first.create(`${EVENTS}ns/e${i}`, event(`e${i}`, 30 * MIN, clock.t));
    let pages = 0;
    const keys = first.unexpiring!();
    first.unexpiring = () => ({ ...keys, page: (...a) => (pages++, keys.page(...a)) });
    const one = eventTtl(first, { now: () => clock.t, chunk: 2, pauseMs: 60_000 });
    while (pages === 0) await new Promise((r) => setTimeout(r, 1));
    await one.s.close(); // stops during the pause after the first page
    assert.equal(await one.finished, 2);
    const second = open();
    const two = eventTtl(second, { now: () => clock.t, chunk: 2, pauseMs: 0 });
    assert.equal(await two.finished, 3);
    clock.t += 30 * MIN;
    assert.equal(await second.expireDue(), 5);
    await two.s.close();
  }));
