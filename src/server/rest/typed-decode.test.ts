import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergePatchedPart } from './typed-decode.ts';
import { findTypeError } from '../../api/schema/type-check.ts';
import { loadSchema } from '../../api/schema/schema.ts';

const patched = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', labels: { app: 'web' } },
  spec: { containers: [{ name: 'web', image: 'nginx' }] },
  status: { phase: 'Running', podIP: '10.0.0.1', conditions: [{ type: 'Ready', status: 'True' }] },
};

test('a merge patch type-checks only what it names, in the patched order', () => {
  const part = mergePatchedPart(patched, { status: { podIP: '10.0.0.1', phase: 'Running' }, metadata: { annotations: null } });
  assert.deepEqual(part, { metadata: {}, status: { phase: 'Running', podIP: '10.0.0.1' } });
  assert.deepEqual(Object.keys((part as { status: object }).status), ['phase', 'podIP']);
  // A list or scalar in the patch replaces the value: the whole patched value is checked.
  assert.deepEqual(mergePatchedPart(patched, { spec: { containers: [] } }), { spec: { containers: patched.spec.containers } });
  // A patch that is not an object replaces everything.
  assert.equal(mergePatchedPart(patched, null), patched);
  assert.equal(mergePatchedPart(patched, undefined), patched);
});

test('"__proto__" in the patched object stays a data key of the part', () => {
  const obj = JSON.parse('{"metadata":{"annotations":{"__proto__":"x"}}}');
  const part = mergePatchedPart(obj, JSON.parse('{"metadata":{"annotations":{"__proto__":"x"}}}')) as { metadata: { annotations: object } };
  assert.deepEqual(Object.keys(part.metadata.annotations), ['__proto__']);
  assert.equal(Object.getPrototypeOf(part.metadata.annotations), Object.prototype);
});

test('a type error the patch brings is found in the part as in the whole object', () => {
  const schema = loadSchema();
  const typeName = schema.typeNameForKind({ group: '', version: 'v1', kind: 'Pod' })!;
  const bad = { ...patched, status: { ...patched.status, podIP: 5 } };
  const whole = findTypeError(schema, typeName, bad, 'json');
  assert.ok(whole);
  assert.equal(findTypeError(schema, typeName, mergePatchedPart(bad, { status: { podIP: 5 } }), 'json'), whole);
});
