import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinResources } from './builtin.ts';
import { objectKey, parseObjectKey } from './resource-def.ts';

test('parseObjectKey inverts objectKey for built-in and custom resources, namespaced or not', () => {
  const cases = [
    { def: { group: '', resource: 'configmaps', namespaced: true }, ns: 'ns', name: 'c' },
    { def: { group: 'rbac.authorization.k8s.io', resource: 'clusterroles', namespaced: false }, ns: '', name: 'r' },
    { def: { group: 'example.com', resource: 'widgets', namespaced: true, custom: {} }, ns: 'ns', name: 'w' },
    { def: { group: 'example.com', resource: 'gizmos', namespaced: false, custom: {} }, ns: '', name: 'g' },
  ];
  for (const c of cases) {
    assert.deepEqual(parseObjectKey(objectKey(c.def, c.ns, c.name)), { group: c.def.group, resource: c.def.resource, custom: c.def.custom !== undefined, namespace: c.ns, name: c.name });
  }
  // A built-in sharing another group's storage is reported under the storage group.
  const ev = builtinResources().find((d) => d.group === 'events.k8s.io' && d.resource === 'events')!;
  assert.equal(parseObjectKey(objectKey(ev, 'ns', 'e'))?.group, '');
});

test('parseObjectKey refuses what is not an object key', () => {
  for (const k of ['/registry/core/configmaps/', '/registry/core/configmaps', '/registry/a/b/c/d/e', '/registry/_customresources/g/r', '/registry/_other/x/y', '/other/core/pods/ns/p', '/registry/core//ns/p']) {
    assert.equal(parseObjectKey(k), undefined, k);
  }
});
