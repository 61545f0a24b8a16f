import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JSONSchemaProps } from './json-schema-props.ts';
import { toCelValue } from './cel-value.ts';

test('without a schema: integral numbers are ints, others stay; a copy, not the object itself', () => {
  const v = { a: 1, b: 1.5, c: [1, 2.5, { d: 9007199254740993, e: null, f: 'x', g: true }], h: {}, i: [] };
  const out = toCelValue(undefined, v) as Record<string, unknown>;
  assert.deepEqual(out, { a: 1n, b: 1.5, c: [1n, 2.5, { d: 9007199254740993, e: null, f: 'x', g: true }], h: {}, i: [] });
  assert.notEqual(out.c, v.c);
  assert.equal(v.a, 1);
});

test('with a schema: type number keeps a number; fields the schema does not know follow the schemaless rule', () => {
  const s: JSONSchemaProps = { type: 'object', properties: { n: { type: 'number' }, l: { type: 'array', items: { type: 'number' } } } };
  assert.deepEqual(toCelValue(s, { n: 2, l: [3], other: { x: 4 } }), { n: 2, l: [3], other: { x: 4n } });
});
