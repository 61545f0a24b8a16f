// The cases of apimachinery's pkg/util/errors/errors_test.go that concern Error()'s text.
import assert from 'node:assert/strict';
import test from 'node:test';
import { aggregateMessage, newAggregate } from './aggregate-error.ts';

test('TestEmptyAggregate: no errors is no aggregate', () => {
  assert.equal(aggregateMessage([]), undefined);
});

test('TestAggregateWithNil: nils are dropped; only nils is no aggregate', () => {
  assert.equal(aggregateMessage([null]), undefined);
  assert.equal(aggregateMessage([undefined, null]), undefined);
  assert.equal(aggregateMessage([null, new Error('err')]), 'err');
});

test('TestSingularAggregate: one error is its own text, without brackets', () => {
  assert.equal(aggregateMessage([new Error('err')]), 'err');
  assert.equal(aggregateMessage(['err']), 'err');
});

test('TestPluralAggregate: several in brackets, comma-separated, in order', () => {
  assert.equal(aggregateMessage([new Error('abc'), new Error('123')]), '[abc, 123]');
});

test('TestDedupeAggregate: a repeated message alone loses its brackets', () => {
  assert.equal(aggregateMessage(['abc', 'abc']), 'abc');
});

test('TestDedupePluralAggregate: repeats dropped, first position kept', () => {
  assert.equal(aggregateMessage(['abc', 'abc', '123']), '[abc, 123]');
  assert.equal(aggregateMessage(['abc', '123', 'abc']), '[abc, 123]');
});

test('TestFlattenAndDedupeAggregate: a nested aggregate is flattened before the dedupe', () => {
  assert.equal(aggregateMessage(['abc', 'abc', ['abc']]), 'abc');
});

test('TestFlattenAggregate: nesting at any depth is flattened', () => {
  assert.equal(aggregateMessage(['abc', 'abc', ['abc', 'def', ['def', 'ghi']]]), '[abc, def, ghi]');
});

test('a single nested aggregate prints as itself; a nested one of only nils is nil', () => {
  // agg[0].Error() when one entry is left: the nested aggregate's own text, brackets and all.
  assert.equal(aggregateMessage([['a', 'b']]), '[a, b]');
  assert.equal(aggregateMessage([null, ['a', 'a']]), 'a');
  // NewAggregate of nothing but nils is nil, and a nil entry is dropped from the outer list.
  assert.equal(aggregateMessage(['a', [null], []]), 'a');
  assert.equal(aggregateMessage([[], [null, []]]), undefined);
});

test('empty messages are messages like any other', () => {
  assert.equal(aggregateMessage(['', 'a']), '[, a]');
  assert.equal(aggregateMessage(['', '']), '');
});

test('newAggregate: nil for nothing; an Aggregate inside another is flattened like a nested list', () => {
  assert.equal(newAggregate([null]), undefined);
  const inner = newAggregate(['abc', new Error('def'), ['def', 'ghi']])!;
  assert.ok(inner instanceof Error);
  assert.equal(inner.message, '[abc, def, ghi]');
  assert.equal(inner.name, 'Error');
  assert.equal(aggregateMessage(['abc', inner, 'jkl']), '[abc, def, ghi, jkl]');
  assert.equal(aggregateMessage([inner]), '[abc, def, ghi]');
  assert.equal(newAggregate(['x', 'x'])!.message, 'x');
});
