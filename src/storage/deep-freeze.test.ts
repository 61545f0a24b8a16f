import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deepFreeze, EMPTY_ARRAY, EMPTY_OBJECT } from './deep-freeze.ts';

test('freezes a parsed value in place, every level', () => {
  const v = JSON.parse('{"a":{"b":[1,{"c":"d"}]},"e":null}') as { a: { b: [number, { c: string }] } };
  const inner = v.a.b[1];
  assert.equal(deepFreeze(v), v);
  assert.ok(Object.isFrozen(v) && Object.isFrozen(v.a) && Object.isFrozen(v.a.b) && Object.isFrozen(inner));
  assert.equal(v.a.b[1], inner, 'non-empty members stay the same objects');
  assert.throws(() => ((v.a as { x?: number }).x = 1), TypeError);
});

test('empty objects and arrays below the root become the shared instances; the replaced ones are frozen too', () => {
  const text = '{"fieldsV1":{"f:spec":{".":{},"f:a":{}}},"list":[[],{}],"ctx":{}}';
  const v = JSON.parse(text) as { fieldsV1: { 'f:spec': Record<string, object> }; list: [unknown[], object]; ctx: object };
  const old = v.ctx;
  deepFreeze(v);
  assert.equal(JSON.stringify(v), text, 'the same JSON');
  assert.equal(v.fieldsV1['f:spec']['.'], EMPTY_OBJECT);
  assert.equal(v.fieldsV1['f:spec']['f:a'], EMPTY_OBJECT);
  assert.equal(v.list[0], EMPTY_ARRAY);
  assert.equal(v.list[1], EMPTY_OBJECT);
  assert.ok(Object.isFrozen(old));
  const root = deepFreeze({});
  assert.notEqual(root, EMPTY_OBJECT, 'the root itself is kept');
});

test('an empty object that is not plain data is kept', () => {
  const hidden = Object.defineProperty({}, 'h', { value: 1, enumerable: false });
  const nullProto = Object.create(null) as object;
  const v = deepFreeze({ hidden, nullProto });
  assert.equal(v.hidden, hidden);
  assert.equal(v.nullProto, nullProto);
  assert.ok(Object.isFrozen(hidden) && Object.isFrozen(nullProto));
});
