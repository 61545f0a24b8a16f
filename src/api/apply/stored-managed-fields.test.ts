/**
 * withDecodableManagedFields is called by every watcher of an event on the same frozen stored
 * value (watch.ts onEvent -> toApiObject, twice for a MODIFIED one under a selector). Its check
 * walks the whole managedFields: a tenant's ConfigMap with 50,000 keys (1.3 MB) takes ~9.5 ms a
 * walk, so 250 watches (the per-user limit) of its namespace made each write of it hold the event
 * loop for seconds. The verdict for a frozen value is remembered for the calls that follow, in a
 * map that never grows large.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withDecodableManagedFields } from './stored-managed-fields.ts';
import { deepFreeze } from '../../storage/deep-freeze.ts';

test('the watchers of one stored value walk its managedFields once, not once each', () => {
  let walks = 0;
  const fields: Record<string, object> = {};
  for (let i = 0; i < 2000; i++) fields[`f:k${i}`] = {};
  const counted = new Proxy(fields, {
    ownKeys(t) {
      walks++;
      return Reflect.ownKeys(t);
    },
  });
  const obj = deepFreeze({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'big', namespace: 'tenant', managedFields: [{ manager: 'm', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': counted } }] },
  });
  walks = 0;
  for (let watcher = 0; watcher < 250; watcher++) assert.equal(withDecodableManagedFields(obj), obj);
  assert.ok(walks <= 1, `managedFields walked ${walks} times for 250 reads of one value`);
});

test('too-deep managedFields are still dropped, memo or not', () => {
  let deep: unknown = {};
  for (let i = 0; i < 200; i++) deep = { 'f:x': deep };
  const obj = deepFreeze({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'deep', managedFields: [{ manager: 'm', fieldsV1: deep }] } });
  const first = withDecodableManagedFields(obj);
  assert.notEqual(first, obj);
  assert.equal((first.metadata as Record<string, unknown>).managedFields, undefined);
  const again = withDecodableManagedFields(obj);
  assert.notEqual(again, obj);
  assert.equal((again.metadata as Record<string, unknown>).managedFields, undefined);
});
