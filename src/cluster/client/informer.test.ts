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
