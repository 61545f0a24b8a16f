import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goFloat, goInt } from './go-number.ts';

const floats: [number, string][] = [
  [10, '10'],
  [0.5, '0.5'],
  [-2.25, '-2.25'],
  [123456, '123456'],
  [1000000, '1e+06'],
  [1234567.5, '1.2345675e+06'],
  [0.0001, '0.0001'],
  [0.00001, '1e-05'],
  [1e21, '1e+21'],
  [0, '0'],
];

for (const [n, want] of floats) {
  test(`goFloat(${n}) = ${want}`, () => assert.equal(goFloat(n), want));
}

test('goInt truncates like int64(f)', () => {
  assert.equal(goInt(10.9), '10');
  assert.equal(goInt(-3.5), '-3');
  assert.equal(goInt(1e21), '1000000000000000000000');
});
