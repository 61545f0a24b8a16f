import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cloneJson, deeperThan, putKey } from './json-value.ts';
import { jsonEqual as deepEqual } from '../json-equal.ts';
import type { JsonObject, JsonValue } from './json-value.ts';

describe('deeperThan', () => {
  const table: [JsonValue, number, boolean][] = [
    [1, 0, false],
    [{}, 0, true],
    [{}, 1, false],
    [{ a: [1] }, 1, true],
    [{ a: [1] }, 2, false],
    [[[], [[{}]]], 3, true],
  ];
  for (const [v, limit, want] of table) test(`${JSON.stringify(v)} deeper than ${limit}: ${want}`, () => assert.equal(deeperThan(v, limit), want));

  test('handles depths that would overflow a recursive walk', () => {
    let v: JsonValue = 1;
    for (let i = 0; i < 200_000; i++) v = [v];
    assert.equal(deeperThan(v, 199_999), true);
    assert.equal(deeperThan(v, 200_000), false);
  });
});

describe('deepEqual / putKey', () => {
  test('key order does not matter, array order does', () => {
    assert.equal(deepEqual({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }), true);
    assert.equal(deepEqual({ a: [1, 2] }, { a: [2, 1] }), false);
    assert.equal(deepEqual({ a: 1 }, { a: 1, b: null }), false);
  });
  test('putKey stores "__proto__" as data', () => {
    const o: JsonObject = {};
    putKey(o, '__proto__', { x: 1 });
    assert.equal(Object.getPrototypeOf(o), Object.prototype);
    assert.deepEqual(Object.keys(o), ['__proto__']);
  });
});

describe('cloneJson', () => {
  test('copies deeply without sharing', () => {
    const src = { a: [{ b: 1 }, 2, null], c: { d: 'x' } };
    const copy = cloneJson(src);
    assert.deepEqual(copy, src);
    copy.a.push(3);
    (copy.c as { d: string }).d = 'y';
    assert.deepEqual(src, { a: [{ b: 1 }, 2, null], c: { d: 'x' } });
  });
  test('keeps "__proto__" as a data key at any depth, never as a prototype', () => {
    const src = JSON.parse('{"__proto__":{"x":1},"a":{"__proto__":[1]}}') as JsonObject;
    const copy = cloneJson(src);
    assert.equal(Object.getPrototypeOf(copy), Object.prototype);
    assert.equal(Object.getPrototypeOf(copy.a), Object.prototype);
    assert.deepEqual(Object.keys(copy), ['__proto__', 'a']);
    assert.ok(deepEqual(copy, src));
    let deep: JsonValue = src;
    for (let i = 0; i < 1000; i++) deep = { a: deep };
    let inner = cloneJson(deep) as JsonObject;
    for (let i = 0; i < 1000; i++) inner = inner.a as JsonObject;
    assert.deepEqual(Object.keys(inner), ['__proto__', 'a']);
    assert.equal(Object.getPrototypeOf(inner), Object.prototype);
  });
  test('copies depths that would overflow a recursive copy', () => {
    let v: JsonValue = 'leaf';
    for (let i = 0; i < 200_000; i++) v = { a: v };
    const copy = cloneJson(v);
    assert.notEqual(copy, v);
    assert.equal(deeperThan(copy, 200_000), false);
    assert.equal(deeperThan(copy, 199_999), true);
  });
});
