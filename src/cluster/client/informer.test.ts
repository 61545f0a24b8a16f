import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeApiClient, fakeInformerFactory } from './fake.ts';
import { stripManagedFields } from './informer.ts';
import { resources } from './resources.ts';
import type { K8sObject } from './types.ts';

const pods = resources.pods;
const managed = [{ manager: 'm', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} } }];
const pod = (name: string): K8sObject => ({ metadata: { name, namespace: 'ns', labels: { a: 'b' }, managedFields: managed }, spec: { containers: [{ name: 'c', image: 'x' }] } });
const tick = () => new Promise((r) => setImmediate(r));

test('stripManagedFields drops metadata.managedFields only, without touching its argument', () => {
  const p: K8sObject = Object.freeze({ ...pod('a'), metadata: Object.freeze(pod('a').metadata) });
  const s = stripManagedFields(p);
  assert.deepEqual(s, { metadata: { name: 'a', namespace: 'ns', labels: { a: 'b' } }, spec: p.spec });
  assert.equal(s.spec, p.spec, 'the rest is shared');
  assert.equal(p.metadata.managedFields, managed, 'the argument is unchanged');
  const none = { metadata: { name: 'n' } };
  assert.equal(stripManagedFields(none), none, 'nothing to strip: the same object');
});

test('an informer with a transform caches and hands over transformed objects, from the list and the watch', async () => {
  const c = new FakeApiClient();
  await c.create(pods, 'ns', pod('listed'));
  const f = fakeInformerFactory(c, { transform: stripManagedFields });
  const inf = f.informer<K8sObject>(pods);
  const seen: K8sObject[] = [];
  inf.addEventHandler({ add: (o) => seen.push(o), update: (_o, n) => seen.push(n) });
  f.start();
  await inf.synced();
  await c.create(pods, 'ns', pod('watched'));
  await c.patch(pods, 'ns', 'listed', 'merge', { metadata: { labels: { a: 'c' } } });
  await tick();
  assert.deepEqual(seen.map((o) => o.metadata.name), ['listed', 'watched', 'listed']);
  for (const o of [...seen, ...inf.list()]) {
    assert.equal(o.metadata.managedFields, undefined, o.metadata.name);
    assert.ok(Object.isFrozen(o.metadata), 'still frozen');
  }
  assert.equal(inf.get('ns', 'listed')!.metadata.labels.a, 'c');
  assert.equal(inf.get('ns', 'listed')!.kind, 'Pod', 'listed items keep the kind restored before the transform');
  assert.ok((await c.get(pods, 'ns', 'watched')).metadata.managedFields, 'the server copy keeps them');
  f.stop();
});

test('indexes answer the same through adds, updates and deletes, one key or several per value, in insertion order', async () => {
  const c = new FakeApiClient();
  const f = fakeInformerFactory(c);
  const inf = f.informer<K8sObject>(pods);
  inf.addIndexers({ app: (o) => [String(o.metadata.labels?.app ?? '')], both: (o) => ['all', `n-${o.metadata.name}`] });
  f.start();
  await inf.synced();
  const names = (index: string, value: string) => inf.byIndex(index, value).map((o) => o.metadata.name);
  const make = (name: string, app: string) => c.create(pods, 'ns', { metadata: { name, namespace: 'ns', labels: { app } } });
  await make('a', 'x');
  await tick();
  assert.deepEqual(names('app', 'x'), ['a'], 'a value with one key');
  assert.deepEqual(names('app', 'nope'), []);
  await make('b', 'x');
  await make('c', 'y');
  await tick();
  assert.deepEqual(names('app', 'x'), ['a', 'b']);
  assert.deepEqual(names('both', 'all'), ['a', 'b', 'c']);
  assert.deepEqual(names('both', 'n-b'), ['b']);
  // a leaves x: one key again; another joins after it.
  const a = await c.get<K8sObject>(pods, 'ns', 'a');
  await c.update(pods, 'ns', { ...a, metadata: { ...a.metadata, labels: { app: 'y' } } });
  await tick();
  assert.deepEqual(names('app', 'x'), ['b']);
  assert.deepEqual(names('app', 'y'), ['c', 'a']);
  await make('d', 'x');
  await c.delete(pods, 'ns', 'c');
  await tick();
  assert.deepEqual(names('app', 'x'), ['b', 'd']);
  assert.deepEqual(names('app', 'y'), ['a']);
  await c.delete(pods, 'ns', 'a');
  await c.delete(pods, 'ns', 'b');
  await c.delete(pods, 'ns', 'd');
  await tick();
  assert.deepEqual(names('app', 'x'), []);
  assert.deepEqual(names('app', 'y'), []);
  assert.deepEqual(names('both', 'all'), []);
  assert.deepEqual(inf.list(), []);
  f.stop();
});
