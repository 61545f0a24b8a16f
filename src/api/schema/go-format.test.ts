import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goFloat, goFormat, goQuote } from './go-format.ts';

test('float64 %v: shortest digits, %e from an exponent of 6 or below -4', () => {
  const cases: Array<[number, string]> = [
    [0, '0'],
    [-0, '-0'],
    [300, '300'],
    [1.5, '1.5'],
    [123456, '123456'],
    [1e6, '1e+06'],
    [1234567, '1.234567e+06'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [-2.5e-7, '-2.5e-07'],
    [1e100, '1e+100'],
  ];
  for (const [v, want] of cases) assert.equal(goFloat(v), want, String(v));
});

test('%v and %#v of decoded JSON, map keys sorted', () => {
  const v = { b: [1, 'x y', true], a: null, c: { d: 1.5 } };
  assert.equal(goFormat(v, { numbers: 'float64' }), 'map[a:<nil> b:[1 x y true] c:map[d:1.5]]');
  assert.equal(goFormat(v, { numbers: 'float64', syntax: true }), 'map[string]interface {}{"a":interface {}(nil), "b":[]interface {}{1, "x y", true}, "c":map[string]interface {}{"d":1.5}}');
  assert.equal(goFormat(1000000, { numbers: 'int64' }), '1000000');
  assert.equal(goFormat(1000000, { numbers: 'float64' }), '1e+06');
  assert.equal(goFormat([], { numbers: 'float64', syntax: true }), '[]interface {}{}');
});

test('deep values do not recurse', () => {
  let v: unknown = 'x';
  for (let i = 0; i < 100_000; i++) v = [v];
  assert.equal(goFormat(v, { numbers: 'float64' }).length, 200_001);
});

test('strconv.Quote escapes', () => {
  assert.equal(goQuote('a"b\\c\n\t\x00\x7f\u00a0\u2028é😀'), '"a\\"b\\\\c\\n\\t\\x00\\x7f\\u00a0\\u2028é😀"');
});
