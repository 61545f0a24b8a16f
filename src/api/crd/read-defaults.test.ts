import { test } from 'node:test';
import assert from 'node:assert/strict';
import { customResourceAsRead } from './read-defaults.ts';
import { deepFreeze } from '../../storage/deep-freeze.ts';

const schema = (props: Record<string, unknown>) => ({ type: 'object', properties: { spec: { type: 'object', properties: props } } });

test('a stored object is read pruned and defaulted by the schema; unchanged, it is the stored value itself', () => {
  const stored = deepFreeze({ apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g' }, spec: { size: 1, old: 'x' } });
  const s1 = schema({ size: { type: 'integer' }, old: { type: 'string' } });
  assert.equal(customResourceAsRead({ schema: s1 }, stored), stored);
  const s2 = schema({ size: { type: 'integer' }, color: { type: 'string', default: 'red' } });
  const read = customResourceAsRead({ schema: s2 }, stored);
  assert.deepEqual(read.spec, { size: 1, color: 'red' });
  assert.ok(Object.isFrozen(read.spec), 'shared like the stored value, so frozen');
  assert.deepEqual(stored.spec, { size: 1, old: 'x' });
  // The same value and schema: the same answer, not worked out again.
  assert.equal(customResourceAsRead({ schema: s2 }, stored), read);
  // A new schema object (a changed CRD) is worked out afresh.
  assert.equal(customResourceAsRead({ schema: s1 }, stored), stored);
});

test('the schema of the version the object was stored in is the one used', () => {
  const stored = deepFreeze({ apiVersion: 'example.com/v1beta1', kind: 'Gadget', metadata: { name: 'g' }, spec: {} });
  const custom = {
    schema: schema({ color: { type: 'string', default: 'v1' } }),
    versionSchemas: { v1: schema({ color: { type: 'string', default: 'v1' } }), v1beta1: schema({ color: { type: 'string', default: 'beta' } }) },
  };
  assert.equal(customResourceAsRead(custom, stored).spec.color, 'beta');
  assert.equal(customResourceAsRead({ schema: undefined }, stored), stored);
});
