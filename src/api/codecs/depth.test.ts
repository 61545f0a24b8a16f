import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../errors.ts';
import { parseJsonBody, parseYamlBody } from './decode-body.ts';
import { assertExpandedWithin, exceedsDepth, exceedsDepthIterative, jsonMayExceedDepth } from './depth.ts';

test('exceedsDepth counts containers, iteratively (no overflow at 100,000 levels)', () => {
  assert.equal(exceedsDepth({ a: [1] }, 2), false);
  assert.equal(exceedsDepth({ a: [[]] }, 2), true);
  let v: unknown = {};
  for (let i = 0; i < 100_000; i++) v = { a: v };
  assert.equal(exceedsDepth(v, 100), true);
});

test('exceedsDepth: the recursive walk answers as the iterative one, at the limit and past it, on every shape', () => {
  const shapes: unknown[] = [null, 1, 'x', [], {}, [[]], { a: {} }, [1, [2, [3]]], { a: [{ b: [] }], c: 1 }, [undefined, , null] as unknown[]];
  // Deep on one side only, deep in the last member or element, deep in the first.
  for (let levels = 1; levels <= 12; levels++) {
    let obj: unknown = {};
    let arr: unknown = [];
    for (let i = 0; i < levels; i++) {
      obj = { s: 'x', n: [1, 2], deep: obj };
      arr = [arr, 0, 'y'];
    }
    shapes.push(obj, arr, { first: obj, second: 1 }, [0, { last: arr }]);
  }
  const inherited = Object.create({ up: [[[[]]]] }) as Record<string, unknown>;
  inherited.own = 1;
  shapes.push(inherited);
  const cyclic: Record<string, unknown> = { k: 1 };
  cyclic.self = cyclic;
  shapes.push(cyclic);
  for (const v of shapes) {
    for (let limit = 0; limit <= 40; limit++) assert.equal(exceedsDepth(v, limit), exceedsDepthIterative(v, limit), `${limit}`);
  }
  // Past the recursive bound the iterative walk answers (no stack overflow on a 100,000-level value).
  let deep: unknown = [];
  for (let i = 0; i < 100_000; i++) deep = [deep];
  assert.equal(exceedsDepth(deep, 50_000), true);
  assert.equal(exceedsDepth(deep, 200_000), false);
});

test('a shared value counts every time it occurs, and a cycle runs into the depth bound', () => {
  const chunk = 'x'.repeat(1000);
  const shared = [chunk, chunk, chunk];
  assert.doesNotThrow(() => assertExpandedWithin({ a: shared }, 4000));
  assert.throws(() => assertExpandedWithin({ a: shared, b: shared }, 4000), (e: unknown) => e instanceof ApiError && e.code === 413);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => assertExpandedWithin(cyclic), (e: unknown) => e instanceof ApiError && e.code === 400);
});

test('YAML: 49 aliases of a large anchor are refused at their expanded size (413), a few small ones pass', () => {
  const anchor = 'x'.repeat(100 * 1024);
  const body = `apiVersion: v1\nkind: Pod\nmetadata: {name: p, annotations: {a: &a "${anchor}"}}\nspec: {containers: [${Array.from({ length: 49 }, () => '{name: *a}').join(', ')}]}\n`;
  assert.throws(() => parseYamlBody(body), (e: unknown) => e instanceof ApiError && e.code === 413 && e.message === 'Request entity too large: limit is 3145728');
  assert.deepEqual(parseYamlBody('a: &a [1, 2]\nb: *a\n'), { a: [1, 2], b: [1, 2] });
});

test('jsonMayExceedDepth: no more opening brackets than the bound means no deeper value; parseJsonBody still refuses one level past it', () => {
  const nested = (levels: number, open = '[', close = ']') => `${open.repeat(levels)}${close.repeat(levels)}`;
  assert.equal(jsonMayExceedDepth(nested(100), 100), false);
  assert.equal(jsonMayExceedDepth(nested(101), 100), true);
  // Brackets in strings count too (never fewer than the value's nesting); '{' and '[' together.
  assert.equal(jsonMayExceedDepth(JSON.stringify({ a: '{'.repeat(200) }), 100), true);
  assert.equal(jsonMayExceedDepth(`${'{"a":['.repeat(50)}1${']}'.repeat(50)}`, 100), false);
  assert.equal(jsonMayExceedDepth(`${'{"a":['.repeat(51)}1${']}'.repeat(51)}`, 100), true);
  // Sound on every shape: whenever it says no, the parsed value is within the bound.
  for (let levels = 1; levels < 30; levels++) {
    for (const text of [nested(levels), nested(levels, '{"k":', '}').replace(/:}/, ':1}'), `${'[{"x":'.repeat(levels)}0${'}]'.repeat(levels)}`]) {
      for (const limit of [levels - 1, levels, 2 * levels - 1, 2 * levels]) {
        if (!jsonMayExceedDepth(text, limit)) assert.equal(exceedsDepth(JSON.parse(text), limit), false, `${text} ${limit}`);
      }
    }
  }
  assert.doesNotThrow(() => parseJsonBody(nested(100)));
  assert.throws(() => parseJsonBody(nested(101)), (e: unknown) => e instanceof ApiError && e.code === 400 && /maximum depth of 100/.test(e.message));
  assert.throws(() => parseJsonBody(JSON.stringify({ s: '['.repeat(200), v: JSON.parse(nested(101)) })), (e: unknown) => e instanceof ApiError && e.code === 400);
});
