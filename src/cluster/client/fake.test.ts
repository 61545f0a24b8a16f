import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeApiClient, fakeInformerFactory } from './fake.ts';
import { ApiStatusError, isAlreadyExists, isConflict, isNotFound } from './errors.ts';
import { byNodeName, byOwnerUid } from './informer.ts';
import { resources } from './resources.ts';
import type { K8sObject, WatchEvent } from './types.ts';

const pods = resources.pods;
const pod = (name: string, extra: Record<string, unknown> = {}): K8sObject => ({ metadata: { name, namespace: 'ns' }, spec: { containers: [{ name: 'c', image: 'x' }] }, ...extra });
const tick = () => new Promise((r) => setImmediate(r));

test('fake client: CRUD with upstream errors, optimistic concurrency and recorded actions', async () => {
  const c = new FakeApiClient();
  const created = await c.create(pods, 'ns', pod('a'));
  assert.equal(created.metadata.namespace, 'ns');
  assert.equal(created.kind, 'Pod');
  await assert.rejects(c.create(pods, 'ns', pod('a')), (e: unknown) => isAlreadyExists(e) && (e as Error).message === 'pods "a" already exists');
  await assert.rejects(c.get(pods, 'ns', 'b'), (e: unknown) => isNotFound(e) && (e as ApiStatusError).code === 404);
  const updated = await c.update(pods, 'ns', { ...created, spec: { ...created.spec, nodeName: 'n1' } });
  assert.equal(updated.metadata.generation, 2);
  await assert.rejects(c.update(pods, 'ns', created), (e: unknown) => isConflict(e));
  const patched = await c.patch(pods, 'ns', 'a', 'merge', { metadata: { labels: { x: '1' } } });
  assert.deepEqual(patched.metadata.labels, { x: '1' });
  const st = await c.update(pods, 'ns', { ...patched, status: { phase: 'Running' }, spec: {} as Record<string, unknown> }, 'status');
  assert.equal(st.status.phase, 'Running');
  assert.equal(st.spec.nodeName, 'n1', 'a status update changes only status');
  await c.delete(pods, 'ns', 'a');
  await assert.rejects(c.get(pods, 'ns', 'a'), isNotFound);
  assert.deepEqual(c.writes().map((a) => a.verb), ['create', 'create', 'update', 'update', 'patch', 'update', 'delete']);
});

test('fake client: binding sets spec.nodeName once; injected errors fail the chosen call', async () => {
  const c = new FakeApiClient();
  await c.create(pods, 'ns', pod('p'));
  await c.postSubresource(pods, 'ns', 'p', 'binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p' }, target: { kind: 'Node', name: 'n1' } });
  assert.equal((await c.get(pods, 'ns', 'p')).spec.nodeName, 'n1');
  await assert.rejects(c.postSubresource(pods, 'ns', 'p', 'binding', { metadata: { name: 'p' }, target: { name: 'n2' } }), isConflict);
  c.failNext('create', 'pods', new ApiStatusError(500, 'InternalError', 'boom'));
  await assert.rejects(c.create(pods, 'ns', pod('q')), (e: unknown) => (e as ApiStatusError).code === 500);
  await c.create(pods, 'ns', pod('q'));
});

test('fake client: finalizers hold a delete until the last one is removed', async () => {
  const c = new FakeApiClient();
  await c.create(pods, 'ns', pod('f', { metadata: { name: 'f', namespace: 'ns', finalizers: ['x/y'] } }));
  await c.delete(pods, 'ns', 'f');
  const held = await c.get(pods, 'ns', 'f');
  assert.ok(held.metadata.deletionTimestamp);
  await c.patch(pods, 'ns', 'f', 'merge', { metadata: { finalizers: null } });
  await assert.rejects(c.get(pods, 'ns', 'f'), isNotFound);
});

test('fake client: watch replays from a revision, filters, and answers 410 after compaction', async () => {
  const c = new FakeApiClient();
  const a = await c.create(pods, 'ns', pod('a'));
  await c.create(pods, 'other', pod('b'));
  const seen: WatchEvent<K8sObject>[] = [];
  const h = c.watch(pods, 'ns', { resourceVersion: '1' }, (e) => seen.push(e), () => {});
  await c.delete(pods, 'ns', 'a');
  await tick();
  assert.deepEqual(seen.map((e) => [e.type, e.object.metadata.name]), [['ADDED', 'a'], ['DELETED', 'a']]);
  h.close();
  c.compact();
  const errs: WatchEvent<K8sObject>[] = [];
  let closed = 0;
  c.watch(pods, '', { resourceVersion: a.metadata.resourceVersion! }, (e) => errs.push(e), () => closed++);
  await tick();
  assert.equal(errs[0].type, 'ERROR');
  assert.equal((errs[0].object as unknown as { code: number }).code, 410);
  assert.equal(closed, 1);
});

test('informer over the fake: sync, add/update/delete, indexers, relist after 410 converges', async () => {
  const c = new FakeApiClient();
  for (let i = 0; i < 7; i++) await c.create(pods, 'ns', pod(`p${i}`, { spec: { nodeName: i % 2 ? 'n1' : 'n2' } }));
  const f = fakeInformerFactory(c, { pageSize: 3, backoffInitialMs: 1 });
  const inf = f.informer<K8sObject>(pods);
  assert.equal(f.informer(pods), inf, 'one informer per resource');
  inf.addIndexers({ node: byNodeName, owner: byOwnerUid });
  const log: string[] = [];
  inf.addEventHandler({ add: (o) => log.push(`add ${o.metadata.name}`), update: (_o, n) => log.push(`update ${n.metadata.name}`), delete: (o) => log.push(`delete ${o.metadata.name}`) });
  f.start();
  await inf.synced();
  assert.equal(inf.list().length, 7);
  assert.ok(Object.isFrozen(inf.get('ns', 'p1')!.metadata));
  assert.deepEqual(inf.byIndex('node', 'n1').map((p) => p.metadata.name).sort(), ['p1', 'p3', 'p5']);
  assert.equal(inf.byIndex('namespace', 'ns').length, 7);
  assert.equal(c.actions.filter((a) => a.verb === 'list').length, 3, 'paginated by pageSize');
  log.length = 0;
  await c.patch(pods, 'ns', 'p1', 'merge', { spec: { nodeName: 'n2' } });
  await c.delete(pods, 'ns', 'p0');
  await c.create(pods, 'ns', pod('new', { metadata: { name: 'new', namespace: 'ns', ownerReferences: [{ uid: 'u1' }] } }));
  await tick();
  assert.deepEqual(log, ['update p1', 'delete p0', 'add new']);
  assert.deepEqual(inf.byIndex('owner', 'u1').map((p) => p.metadata.name), ['new']);
  assert.deepEqual(inf.byIndex('node', 'n1').map((p) => p.metadata.name).sort(), ['p3', 'p5']);

  // Changes the informer misses while its watch is down, then history compacted: it must relist.
  const listsBefore = inf.lists;
  c.breakWatches();
  await c.delete(pods, 'ns', 'p2');
  await c.create(pods, 'ns', pod('late'));
  c.compact();
  log.length = 0;
  for (let i = 0; i < 200 && inf.lists === listsBefore; i++) await new Promise((r) => setTimeout(r, 10));
  for (let i = 0; i < 200 && !inf.get('ns', 'late'); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(inf.lists > listsBefore);
  assert.deepEqual(log.sort(), ['add late', 'delete p2']);
  assert.deepEqual(inf.list().map((p) => p.metadata.name).sort(), c.stored(pods).map((p) => p.metadata.name).sort());
  f.stop();
});

test('informer: a watch the server ends cleanly is resumed from the last revision; a 410 ERROR on resuming relists', async () => {
  const c = new FakeApiClient();
  await c.create(pods, 'ns', pod('a'));
  const f = fakeInformerFactory(c, { backoffInitialMs: 1 });
  const inf = f.informer<K8sObject>(pods);
  f.start();
  await inf.synced();
  const watchesBefore = c.actions.filter((a) => a.verb === 'watch').length;
  await c.create(pods, 'ns', pod('a2'));
  await tick();
  c.close(); // every watch ends cleanly, as at the server's timeout
  for (let i = 0; i < 200 && c.actions.filter((a) => a.verb === 'watch').length === watchesBefore; i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(inf.lists, 1, 'no relist after a clean end');
  assert.equal(c.actions.filter((a) => a.verb === 'watch').length, watchesBefore + 1, 'resumed');
  const last = c.actions.filter((a) => a.verb === 'watch').at(-1)!.object as { resourceVersion: string };
  assert.equal(last.resourceVersion, inf.get('ns', 'a2')!.metadata.resourceVersion);

  // Writes and a compaction before the informer gets to resume (all in this same turn): the
  // resumed watch starts before the history and gets an ERROR 410.
  c.close();
  const writes = Promise.all([c.create(pods, 'ns', pod('b')), c.delete(pods, 'ns', 'a'), c.delete(pods, 'ns', 'a2')]);
  c.compact();
  await writes;
  for (let i = 0; i < 200 && inf.lists < 2; i++) await new Promise((r) => setTimeout(r, 5));
  for (let i = 0; i < 200 && !inf.get('ns', 'b'); i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(inf.lists, 2);
  assert.deepEqual(inf.list().map((p) => p.metadata.name), ['b']);
  f.stop();
});
