import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../errors.ts';
import { parseFieldSelector, validateFieldSelectorFields } from './field-selector.ts';

describe('parseFieldSelector', () => {
  const cases: [string, [string, string, string][]][] = [
    ['', []],
    ['metadata.name=foo', [['metadata.name', '=', 'foo']]],
    ['metadata.name==foo', [['metadata.name', '=', 'foo']]],
    ['status.phase!=Running', [['status.phase', '!=', 'Running']]],
    ['b=2,a=1', [['a', '=', '1'], ['b', '=', '2']]],
    ['a=x\\,y', [['a', '=', 'x,y']]],
    ['a=x\\=y', [['a', '=', 'x=y']]],
    ['a=x\\\\y', [['a', '=', 'x\\y']]],
    ['a=', [['a', '=', '']]],
    ['a=1,', [['a', '=', '1']]],
  ];
  for (const [s, want] of cases) {
    test(JSON.stringify(s), () => {
      assert.deepEqual(
        parseFieldSelector(s).requirements.map((r) => [r.field, r.operator, r.value]),
        want,
      );
    });
  }

  const errors: [string, string][] = [
    ['foo', "invalid selector: 'foo'; can't understand 'foo'"],
    ['a=b=c', 'invalid field selector: unescaped character in value: 61'],
    ['a=b\\x', 'invalid field selector: invalid escape sequence: \\x'],
    ['a=b\\', 'invalid field selector: invalid escape sequence: \\'],
  ];
  for (const [s, msg] of errors) {
    test(`error ${JSON.stringify(s)}`, () => {
      assert.throws(() => parseFieldSelector(s), (e: unknown) => e instanceof ApiError && e.code === 400 && e.message === msg);
    });
  }
});

describe('FieldSelector.matches', () => {
  const cases: [string, Record<string, string>, boolean][] = [
    ['', {}, true],
    ['metadata.name=a', { 'metadata.name': 'a' }, true],
    ['metadata.name=a', { 'metadata.name': 'b' }, false],
    ['spec.nodeName=', {}, true],
    ['spec.nodeName!=', { 'spec.nodeName': 'n1' }, true],
    ['spec.nodeName!=n1', { 'spec.nodeName': 'n1' }, false],
    ['a=1,b=2', { a: '1', b: '2' }, true],
    ['a=1,b=2', { a: '1', b: '3' }, false],
  ];
  for (const [s, fields, want] of cases) {
    test(`${s} on ${JSON.stringify(fields)}`, () => assert.equal(parseFieldSelector(s).matches(fields), want));
  }
  test('toString re-escapes and requiresExactMatch finds the pinned value', () => {
    const s = parseFieldSelector('a=x\\,y,metadata.name==n');
    assert.equal(s.toString(), 'a=x\\,y,metadata.name=n');
    assert.equal(s.requiresExactMatch('metadata.name'), 'n');
    assert.equal(s.requiresExactMatch('b'), undefined);
  });
});

test('validateFieldSelectorFields rejects unknown fields with the upstream message', () => {
  const allowed = ['metadata.name', 'metadata.namespace', 'spec.nodeName'];
  validateFieldSelectorFields(parseFieldSelector('spec.nodeName=x'), allowed, 'pods');
  assert.throws(
    () => validateFieldSelectorFields(parseFieldSelector('metadata.name=a,spec.foo=b'), allowed, 'pods'),
    (e: unknown) => e instanceof ApiError && e.code === 400 && e.message === 'field label not supported: spec.foo',
  );
});
