import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addQty, canonicalQuantity, cmpQty, formatQty, mustParseQty, parseQty, qtyMilliValue, qtyValue } from './quantity.ts';

test('canonical form as upstream Quantity.String()', () => {
  const cases: [string, string][] = [
    ['1000m', '1'],
    ['0.5', '500m'],
    ['1500m', '1500m'],
    ['1.5', '1500m'],
    ['1000', '1k'],
    ['100Mi', '100Mi'],
    ['1024Mi', '1Gi'],
    ['1.5Gi', '1536Mi'],
    ['0.5Ki', '512'],
    ['1Ki', '1Ki'],
    ['1e3', '1e3'],
    ['10e3', '10e3'],
    ['1e-3', '1e-3'],
    ['129e6', '129e6'],
    ['129M', '129M'],
    ['128974848', '128974848'],
    ['0.1', '100m'],
    ['1n', '1n'],
    ['0.0000000001', '1n'],
    ['0', '0'],
    ['0Gi', '0'],
    ['-1500m', '-1500m'],
    ['1E', '1E'],
    ['2000m', '2'],
    ['5Mi', '5Mi'],
    ['10Mi', '10Mi'],
  ];
  for (const [input, want] of cases) assert.equal(canonicalQuantity(input), want, input);
});

test('malformed quantities do not parse', () => {
  for (const bad of ['', 'abc', '1e', '1.2.3', '1Kb', 'Mi']) assert.equal(parseQty(bad), undefined, bad);
});

test('comparison is exact across suffixes', () => {
  assert.equal(cmpQty(mustParseQty('1Gi'), mustParseQty('1073741824')), 0);
  assert.equal(cmpQty(mustParseQty('1G'), mustParseQty('1Gi')), -1);
  assert.equal(cmpQty(mustParseQty('0.1'), mustParseQty('100m')), 0);
  assert.equal(cmpQty(mustParseQty('1e3'), mustParseQty('1k')), 0);
});

test('sums keep the format of the first non-zero operand', () => {
  assert.equal(formatQty(addQty(mustParseQty('0'), mustParseQty('64Mi'))), '64Mi');
  assert.equal(formatQty(addQty(mustParseQty('64Mi'), mustParseQty('64Mi'))), '128Mi');
  assert.equal(formatQty(addQty(mustParseQty('500m'), mustParseQty('500m'))), '1');
  assert.equal(formatQty(addQty(mustParseQty('1'), mustParseQty('1Ki'))), '1025');
});

test('Value and MilliValue round up', () => {
  assert.equal(qtyValue(mustParseQty('1500m')), 2n);
  assert.equal(qtyMilliValue(mustParseQty('1n')), 1n);
  assert.equal(qtyMilliValue(mustParseQty('2')), 2000n);
});
