import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { goString, goTypeName, goValue } from './go-format.ts';

describe('goValue (fmt %v of decoded JSON)', () => {
  const table: [unknown, string][] = [
    [null, '<nil>'],
    ['s', 's'],
    [42, '42'],
    [1.5, '1.5'],
    [1e21, '1e+21'],
    [0.00001, '1e-05'],
    [true, 'true'],
    [[1, 'a', null], '[1 a <nil>]'],
    [{ b: 1, a: { c: [2] } }, 'map[a:map[c:[2]] b:1]'],
  ];
  for (const [v, want] of table) test(JSON.stringify(v), () => assert.equal(goValue(v), want));
});

describe('goTypeName / goString', () => {
  test('type names follow reflect', () => {
    assert.deepEqual(
      [null, 'a', 1, 1.5, false, [], {}].map(goTypeName),
      ['<nil>', 'string', 'int64', 'float64', 'bool', '[]interface {}', 'map[string]interface {}'],
    );
  });
  test('%s of a non-string', () => assert.equal(goString(5), '%!s(int64=5)'));
});
