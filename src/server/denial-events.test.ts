import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { ResourceRegistry } from '../api/registry/registry.ts';
import { builtinResources } from '../api/registry/builtin.ts';
import { StorageError, type ListOptions, type Store, type StoredObject } from '../storage/types.ts';
import { openSqliteStore } from '../storage/sqlite.ts';
import { listPrefix } from '../api/registry/resource-def.ts';
import { DenialEvents, EVENT_COMPONENT, SWEEP_PAGE, type Denial } from './denial-events.ts';

/** The part of a Store the recorder uses (get, create, update), in memory. */
function memoryStore(): Store & { data: Map<string, StoredObject> } {
  const data = new Map<string, StoredObject>();
  let rev = 0;
  return {
    data,
    async get(key: string) {
      return data.get(key) as never;
    },
    async create(key: string, value: unknown) {
      if (data.has(key)) throw new StorageError('KeyExists', key);
      const o = { key, value, createRevision: ++rev, modRevision: rev };
      data.set(key, o);
      return o as never;
    },
    async list(prefix: string, opts: { predicate?: (v: unknown) => boolean } = {}) {
      const items = [...data.values()].filter((o) => o.key.startsWith(prefix) && (!opts.predicate || opts.predicate(o.value)));
      return { items, revision: rev } as never;
    },
    async delete(key: string, expected?: number) {
      const cur = data.get(key);
      if (!cur) throw new StorageError('NotFound', key);
      if (expected !== undefined && cur.modRevision !== expected) throw new StorageError('Conflict', key);
      data.delete(key);
      return cur as never;
    },
    async update(key: string, value: unknown, expected: number) {
      const cur = data.get(key);
      if (!cur) throw new StorageError('NotFound', key);
      if (cur.modRevision !== expected) throw new StorageError('Conflict', key);
      const o = { ...cur, value, modRevision: ++rev };
      data.set(key, o);
      return o as never;
    },
  } as unknown as Store & { data: Map<string, StoredObject> };
}

const registry = new ResourceRegistry(builtinResources());
const pods = registry.get('', 'v1', 'pods')!;

function setup(now: { t: number }, limits = {}) {
  const store = memoryStore();
  for (const ns of ['team-a', 'team-b']) store.data.set(`/registry/core/namespaces/${ns}`, { key: '', value: { metadata: { name: ns } }, createRevision: 1, modRevision: 1 });
  const counts: Record<string, number> = {};
  let uid = 0;
  const rec = new DenialEvents({ store, registry, now: () => new Date(now.t), newUid: () => `uid-${++uid}`, log: pino({ level: 'silent' }), count: (r) => (counts[r] = (counts[r] ?? 0) + 1), limits });
  const events = () => [...store.data.values()].filter((o) => o.key.startsWith('/registry/core/events/')).map((o) => o.value as any);
  return { store, rec, counts, events };
}

const denial = (namespace: string, name: string, message = 'pods "x" is forbidden: no'): Denial => ({ namespace, def: pods, name, reason: 'FailedAdmission', message });

test('a flood of denials in one namespace is cut at the burst; other namespaces keep their own budget', async () => {
  const now = { t: Date.parse('2026-01-01T00:00:00Z') };
  const { rec, counts, events } = setup(now, { burst: 5, refillMs: 10_000 });
  const writes = [];
  for (let i = 0; i < 1000; i++) writes.push(rec.record(denial('team-a', `p${i}`)));
  await Promise.all(writes);
  assert.equal(events().length, 5, 'only the burst is written');
  assert.equal(counts.recorded, 5);
  assert.equal(counts.dropped, 995);
  await rec.record(denial('team-b', 'q'));
  assert.equal(events().filter((e) => e.metadata.namespace === 'team-b').length, 1);
  // The bucket refills with time: one more after refillMs.
  assert.equal(rec.record(denial('team-a', 'later')), undefined, 'still empty');
  now.t += 10_000;
  await rec.record(denial('team-a', 'later'));
  assert.equal(events().filter((e) => e.metadata.namespace === 'team-a').length, 6);
});

test('repeats within the window raise count on one Event; after the window a new Event starts', async () => {
  const now = { t: Date.parse('2026-01-01T00:00:00Z') };
  const { rec, counts, events } = setup(now);
  await rec.record(denial('team-a', 'p'));
  now.t += 1000;
  await rec.record(denial('team-a', 'p'));
  await rec.record(denial('team-a', 'p'));
  assert.equal(events().length, 1);
  assert.equal(events()[0].count, 3);
  assert.equal(events()[0].firstTimestamp, '2026-01-01T00:00:00Z');
  assert.equal(events()[0].lastTimestamp, '2026-01-01T00:00:01Z');
  assert.equal(counts.aggregated, 2);
  now.t += 600_000;
  await rec.record(denial('team-a', 'p'));
  assert.equal(events().length, 2);
});

test('no Event in a namespace that does not exist or is terminating', async () => {
  const now = { t: Date.parse('2026-01-01T00:00:00Z') };
  const { store, rec, events, counts } = setup(now);
  await rec.record(denial('made-up', 'p'));
  store.data.set('/registry/core/namespaces/going', { key: '', value: { metadata: { name: 'going', deletionTimestamp: '2026-01-01T00:00:00Z' } }, createRevision: 1, modRevision: 1 });
  await rec.record(denial('going', 'p'));
  assert.equal(events().length, 0);
  assert.equal(counts.dropped, 2);
});

test('the aggregation memory is bounded: past maxKeys the oldest denial is forgotten', async () => {
  const now = { t: Date.parse('2026-01-01T00:00:00Z') };
  const { rec, events } = setup(now, { maxKeys: 2, burst: 100 });
  await rec.record(denial('team-a', 'a'));
  await rec.record(denial('team-a', 'b'));
  await rec.record(denial('team-a', 'c'));
  await rec.record(denial('team-a', 'a'));
  // 'a' was forgotten when 'c' came: its repeat is a new Event rather than count 2.
  assert.equal(events().length, 4);
});

test('the sweep deletes this component\'s Events an hour after their last occurrence, and no one else\'s', async () => {
  const now = { t: Date.parse('2026-01-01T00:00:00Z') };
  const { store, rec, events } = setup(now);
  await rec.record(denial('team-a', 'old'));
  now.t += 30 * 60_000;
  await rec.record(denial('team-a', 'recent'));
  store.data.set('/registry/core/events/team-a/someone-elses', { key: '/registry/core/events/team-a/someone-elses', value: { metadata: { name: 'someone-elses', namespace: 'team-a' }, source: { component: 'kubelet' }, lastTimestamp: '2025-01-01T00:00:00Z' }, createRevision: 1, modRevision: 1 });
  now.t += 31 * 60_000;
  assert.equal(await rec.sweep(), 1);
  assert.deepEqual(events().map((e) => e.involvedObject?.name ?? e.metadata.name).sort(), ['recent', 'someone-elses']);
});

test('the sweep reads the Events in pages (the store, not the watch cache, serves them): every page\'s expired ones go', async () => {
  const sqlite = openSqliteStore({ path: ':memory:', durability: 'normal' });
  const limits: Array<number | undefined> = [];
  const counted: Array<number | undefined> = [];
  const list = async (t: Store, p: string, o?: ListOptions) => {
    limits.push(o?.limit);
    const r = await t.list(p, o);
    counted.push(r.remainingItemCount);
    return r;
  };
  const store = new Proxy(sqlite, { get: (t, k) => (k === 'list' ? (p: string, o?: ListOptions) => list(t, p, o) : Reflect.get(t, k)) }) as Store;
  const now = Date.parse('2026-01-01T00:00:00Z');
  const stale = (name: string, component: string) => ({ metadata: { name, namespace: 'team-a' }, source: { component }, reportingComponent: component, lastTimestamp: '2025-12-31T00:00:00Z' });
  const n = SWEEP_PAGE * 2 + 7;
  for (let i = 0; i < n; i++) await sqlite.create(`${listPrefix(registry.get('', 'v1', 'events')!, 'team-a')}e${String(i).padStart(5, '0')}`, stale(`e${i}`, i % 2 ? 'kubelet' : EVENT_COMPONENT));
  const rec = new DenialEvents({ store, registry, now: () => new Date(now), newUid: () => 'uid', log: pino({ level: 'silent' }) });
  assert.equal(await rec.sweep(), Math.ceil(n / 2));
  assert.deepEqual(limits, [SWEEP_PAGE, SWEEP_PAGE, SWEEP_PAGE]);
  // Pages after the first are read at the first one's revision (the sweep deleted since): a count
  // of the rest of the range there reads all of it, every page (quadratic in the Events).
  assert.deepEqual(counted, [undefined, undefined, undefined], 'no remainingItemCount computed per page');
  assert.equal(await sqlite.count(listPrefix(registry.get('', 'v1', 'events')!, '')), Math.floor(n / 2));
  await sqlite.close();
});
