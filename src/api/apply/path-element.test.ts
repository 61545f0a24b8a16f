import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyPE, serializePE, serializeStringKey } from './path-element.ts';
import { compareObjects } from './compare.ts';
import { rootRef } from './shape.ts';
import { setPaths } from './field-set.ts';
import { loadSchema } from '../schema/schema.ts';

const TRICKY = ['web', '', 'Ready', '10.1.0.2', 'fd00::1', '/var/run/x', 'a"b', 'a\\b', '<tag>', 'a&b', '\u2028\u2029', 'tab\there', '\u0001', 'é😀', 'k:{"x":1}'];

test('a string key element is written as the general path writes it', () => {
  for (const name of ['name', 'type', 'ip', 'mountPath', 'a<b']) {
    for (const v of TRICKY) assert.equal(serializeStringKey(name, v), serializePE(keyPE([[name, v]])), `${name}=${JSON.stringify(v)}`);
  }
});

test('list items keyed by a string field and by anything else compare alike', () => {
  const schema = loadSchema();
  const ref = rootRef(schema, 'k8s.io.api.core.v1.Pod');
  const pod = (containers: unknown[], conditions: unknown[]) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers }, status: { conditions } });
  const a = pod([{ name: 'web', image: 'a' }, { name: '<x>', image: 'b' }], [{ type: 'Ready', status: 'False' }]);
  const b = pod([{ name: 'web', image: 'a2' }, { name: 'side&car', image: 'c' }], [{ type: 'Ready', status: 'True' }, { type: 'PodScheduled', status: 'True' }]);
  const c = compareObjects(schema, ref, a, b);
  const paths = (s: Parameters<typeof setPaths>[0]) => setPaths(s).map((p) => p.map(serializePE).join('.'));
  assert.deepEqual(paths(c.modified), ['f:spec.f:containers.k:{"name":"web"}.f:image', 'f:status.f:conditions.k:{"type":"Ready"}.f:status']);
  assert.deepEqual(paths(c.added).filter((p) => p.endsWith('}')), ['f:spec.f:containers.k:{"name":"side\\u0026car"}', 'f:status.f:conditions.k:{"type":"PodScheduled"}']);
  assert.deepEqual(paths(c.removed).filter((p) => p.endsWith('}')), ['f:spec.f:containers.k:{"name":"\\u003cx\\u003e"}']);
});
