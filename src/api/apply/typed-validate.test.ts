import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSchema } from '../schema/schema.ts';
import { MAX_TYPED_ERRORS, validateTyped } from './typed-validate.ts';

const schema = loadSchema();
const POD = schema.typeNameForKind({ group: '', version: 'v1', kind: 'Pod' })!;
const pod = (spec: unknown, metadata: Record<string, unknown> = { name: 'p' }) => ({ apiVersion: 'v1', kind: 'Pod', metadata, spec });

test('a well-typed object, nulls anywhere and unknown fields pass', () => {
  assert.equal(validateTyped(schema, POD, pod({ containers: [{ name: 'c', image: null, ports: [{ containerPort: 80 }] }], nodeName: null, bogus: 1 })), undefined);
});

test('one error is reported bare, with its path', () => {
  assert.equal(validateTyped(schema, POD, pod({ containers: 'oops' })), '.spec.containers: expected list, got &{oops}');
  assert.equal(validateTyped(schema, POD, pod({ containers: [] }, { labels: { a: 1 } })), '.metadata.labels.a: expected string, got &value.valueUnstructured{Value:1}');
  assert.equal(validateTyped(schema, POD, pod({ activeDeadlineSeconds: { a: [1, 'x'] } })), '.spec.activeDeadlineSeconds: expected numeric (int or float), got map[string]interface {}');
  assert.equal(validateTyped(schema, POD, pod({ containers: { b: [1000000, 'x y'], a: null } })), '.spec.containers: expected list, got &{map[a:<nil> b:[1e+06 x y]]}');
});

test('untyped scalars (IntOrString, Quantity, Time) take any scalar but no map or list', () => {
  const port = (v: unknown) => pod({ containers: [{ name: 'c', readinessProbe: { httpGet: { port: v } } }] });
  assert.equal(validateTyped(schema, POD, port(true)), undefined);
  assert.equal(validateTyped(schema, POD, port(['x'])), '.spec.containers[name="c"].readinessProbe.httpGet.port: expected any scalar, got &{[x]}');
  assert.equal(validateTyped(schema, POD, pod({}, { name: 'p', creationTimestamp: 5 })), undefined);
});

test('associative lists: an item without its key ends that list; duplicates are refused unless allowed', () => {
  const noKey = pod({ containers: [{ name: 'a', image: 1 }, { image: 'x' }, { name: 'b', image: 2 }] });
  assert.equal(
    validateTyped(schema, POD, noKey),
    'errors:\n  .spec.containers[name="a"].image: expected string, got &value.valueUnstructured{Value:1}\n  .spec.containers: element 1: associative list with keys has an element that omits key field "name" (and doesn\'t have default value)',
  );
  const dup = pod({ containers: [{ name: 'a' }, { name: 'a' }] });
  assert.equal(validateTyped(schema, POD, dup), '.spec.containers: duplicate entries for key [name="a"]');
  assert.equal(validateTyped(schema, POD, dup, { allowDuplicates: true }), undefined);
  assert.equal(validateTyped(schema, POD, pod({ containers: [null] })), '.spec.containers: element 0: associative list with keys may not have a null element');
  assert.equal(
    validateTyped(schema, POD, pod({ containers: [] }, { name: 'p', finalizers: ['x', null] })),
    ".metadata.finalizers: element 1: associative list without keys has an element that's an explicit null",
  );
});

test('the list of errors is bounded', () => {
  const labels = Object.fromEntries(Array.from({ length: MAX_TYPED_ERRORS + 50 }, (_, i) => [`k${i}`, i]));
  const out = validateTyped(schema, POD, pod({}, { name: 'p', labels }))!;
  assert.equal(out.split('\n').length, MAX_TYPED_ERRORS + 1);
});
