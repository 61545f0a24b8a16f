/**
 * An immutable ConfigMap's or Secret's data compares as upstream's reflect.DeepEqual: exactly.
 * semanticEqual (a schema-less comparison that takes numeric texts as quantities and empty values
 * as absent) let an update change "1000" to "1k" or "1.0" to "1", a Secret's base64 "1000" to
 * "01e3" (other bytes), and add or drop a key whose value is empty.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigMap, Secret } from 'kubernetes-types/core/v1.js';
import { validateConfigMapUpdate } from './config-map.ts';
import { validateSecretUpdate } from './secret.ts';

const meta = { name: 'c', namespace: 'default', resourceVersion: '1' };
const fields = (errs: Array<{ field: string; message?: string }>) => errs.map((e) => e.field);

test("an immutable ConfigMap's data and binaryData may not change, even to the same quantity", () => {
  const data0: Record<string, string> = { replicas: '1000', ratio: '1.0', empty: '' };
  const old: ConfigMap = { metadata: meta, immutable: true, data: data0, binaryData: { b: 'AAE=' } };
  const same = validateConfigMapUpdate({ ...old, data: { ...old.data }, binaryData: { ...old.binaryData } }, old);
  assert.deepEqual(same, []);
  const changed: Array<Record<string, string>> = [{ ...data0, replicas: '1k' }, { ...data0, ratio: '1' }, { replicas: '1000', ratio: '1.0' }, { ...data0, extra: '' }];
  for (const data of changed) {
    assert.deepEqual(fields(validateConfigMapUpdate({ ...old, data }, old)), ['data'], JSON.stringify(data));
  }
  assert.deepEqual(fields(validateConfigMapUpdate({ ...old, binaryData: { b: 'AAI=' } }, old)), ['binaryData']);
  // An absent map and an empty one are the same.
  const bare: ConfigMap = { metadata: meta, immutable: true };
  assert.deepEqual(validateConfigMapUpdate({ ...bare, data: {} }, bare), []);
});

test("an immutable Secret's data may not change to other bytes; the same bytes pass", () => {
  const old: Secret = { metadata: meta, type: 'Opaque', immutable: true, data: { n: '1000', e: '' } };
  assert.deepEqual(fields(validateSecretUpdate({ ...old, data: { n: '01e3', e: '' } }, old)), ['data']);
  assert.deepEqual(fields(validateSecretUpdate({ ...old, data: { n: '1000' } }, old)), ['data']);
  assert.deepEqual(validateSecretUpdate({ ...old, data: { n: new Uint8Array(Buffer.from('1000', 'base64')) as never, e: '' } }, old), []);
});
