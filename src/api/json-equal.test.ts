import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonEqual } from './json-equal.ts';

test('jsonEqual: structure, key order, undefined as absent, own keys', () => {
  const cases: Array<[unknown, unknown, boolean]> = [
    [{ a: 1, b: [1, { c: 'x' }] }, { b: [1, { c: 'x' }], a: 1 }, true],
    [{ a: 1 }, { a: 1, b: undefined }, true],
    [{ a: 1 }, { a: 2 }, false],
    [[1, 2], [2, 1], false],
    [[], {}, false],
    [null, {}, false],
    [{ a: null }, { a: undefined }, false],
    [JSON.parse('{"__proto__": 1}'), {}, false],
    ['1', 1, false],
    // Scalars and one shared object, decided before the walk: as the walk's first step decides them.
    ['a', 'a', true],
    [NaN, NaN, false],
    [0, -0, true],
    [undefined, undefined, true],
    [undefined, null, false],
    [null, null, true],
    [1, {}, false],
    [{}, 1, false],
    [[], null, false],
    [false, 0, false],
  ];
  for (const [a, b, want] of cases) assert.equal(jsonEqual(a, b), want, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
});
