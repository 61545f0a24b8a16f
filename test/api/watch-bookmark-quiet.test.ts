import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { CORE_CONTROLLERS } from '../../src/cluster/controllers/registry.ts';

let c: TestCluster;
before(async () => {
  c = await startTestCluster({ controllers: CORE_CONTROLLERS.map((n) => `-${n}`) });
  await c.settled();
  // Set before any watch is served: each watch reads it when it starts.
  c.cp.server.ctx.bookmarkIntervalMs = 100;
});
after(async () => {
  await c.close();
});

const QUIET = '/api/v1/namespaces/quiet/configmaps';
const BUSY = '/api/v1/namespaces/default/configmaps';
const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { v: '1' } });

test('a quiet resource: BOOKMARKs follow writes elsewhere, a re-watch from one resumes losing nothing, the old revision is 410', async () => {
  assert.equal((await c.admin.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'quiet' } })).status, 201);
  const rv = Number((await c.admin.get(QUIET)).body.metadata.resourceVersion);
  let compactedTo = Infinity;
  const bookmarkPast = (events: Array<{ type: string; object: { metadata: { resourceVersion: string } } }>) =>
    events.some((e) => e.type === 'BOOKMARK' && Number(e.object.metadata.resourceVersion) >= compactedTo);
  const watching = c.admin.watch(`${QUIET}?watch=true&allowWatchBookmarks=true&timeoutSeconds=30&resourceVersion=${rv}`, bookmarkPast, 15_000);
  await new Promise((r) => setTimeout(r, 200));
  for (let i = 0; i < 5; i++) assert.equal((await c.admin.post(BUSY, cm(`busy-${i}`))).status, 201);
  // The quiet watch's list revision leaves the store's history, as it does under load.
  const target = c.cp.store.currentRevision();
  await c.cp.store.compact(target);
  compactedTo = target;
  const { events } = await watching;
  assert.ok(bookmarkPast(events), `no BOOKMARK at or past ${target}: ${JSON.stringify(events.map((e) => [e.type, e.object.metadata.resourceVersion]))}`);
  assert.deepEqual([...new Set(events.map((e) => e.type))], ['BOOKMARK']);
  const bookmarkRv = Number(events[events.length - 1].object.metadata.resourceVersion);
  assert.ok(bookmarkRv <= c.cp.store.currentRevision());

  // A write to the quiet resource after the bookmark reaches a watch resumed from it.
  const created = await c.admin.post(QUIET, cm('after-bookmark'));
  assert.equal(created.status, 201);
  const resumed = await c.admin.watch(`${QUIET}?watch=true&resourceVersion=${bookmarkRv}`, (e) => e.length >= 1);
  assert.equal(resumed.status, 200);
  assert.deepEqual(resumed.events.map((e) => [e.type, e.object.metadata.name]), [['ADDED', 'after-bookmark']]);

  // The list's revision itself is gone: 410 Expired, as before.
  const stale = await c.admin.watch(`${QUIET}?watch=true&resourceVersion=${rv}`, (e) => e.length >= 1);
  assert.equal(stale.events[0].type, 'ERROR');
  assert.equal(stale.events[0].object.code, 410);
  assert.equal(stale.events[0].object.reason, 'Expired');
});
